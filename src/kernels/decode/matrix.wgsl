// Version 3 of the split pass of flash-decoding, on the matrix units: the walk of attention on subgroup matrices
// (src/kernels/attention/walk.wgsl), whose header this is. Workgroup (split, kvHead, batch) takes the GROUP query
// heads that share one KV head as the rows of a matrix, ROW_BLOCKS blocks of 16 (padded with zero rows), and the
// split's rows of K and V as its keys: S = Q·Kᵀ and O += P·V run on the matrix units, so each K and V tile crosses
// memory once for every 16 query heads of the group (a group of 32 reads it twice, the second time from cache). Subgroup g takes row block g mod ROW_BLOCKS and every SLOTS-th
// block of BC keys from slot g / ROW_BLOCKS; at the end the slots of each row block merge (max, sum and output)
// and the split writes what versions 1 and 2 write, for the same combine pass. q is f32, staged once as f16;
// k and v are the f16 cache (the family pads it by a block of rows, which no result reads); sums are f32.
// Constants GROUP, ROW_BLOCKS and SLOTS, and the Shape uniform (shape.wgsl), come from decode.ts.
//
// Swept on an H100 (2026-12-06, Dawn `webgpu` 0.6.2, `npm run tune`, B=8, H_q=32, S=8192, d=128, f16 K/V, median of
// 20; splits 0 is the automatic count, here 32 for MQA and 4 for GQA-8):
//   MQA (a group of 32, two row blocks): slots 2, keys 16: 84.5 µs at splits 32 (85.4 at 0); keys 32: 91.8;
//     slots 8, keys 16: 101.8; slots 4, keys 16: 104.4; version 2 took 143 µs in November. So 2 and 16 are the defaults.
//   GQA-8 (a group of 4, padded to 16 rows): best 178.6 µs (splits 8, slots 2, keys 16), 201.3 with one slot and 32
//     splits, against version 2's 124.3 (120.2 in a second call). Keys 64 were slower everywhere (258 µs and up).
//   At the defaults, in the GQA lab: a group of 16 (2 KV heads) 96.2 µs against version 2's 133.4; of 8 (4 KV
//     heads) 141.5 against 126.3. So `auto` in the GQA lab takes version 3 for groups of 16 or more.
//   Tried and taken out: loading each block's V tiles with its K tiles, so they would arrive during the softmax (no
//   gain: MQA 86.2 against 85.4 µs; attention's matrix kernel 9.65 against 9.16 ms). With Dawn's robustness off
//   (`disable_robustness`), GQA-8 at slots 2 took 206 µs: its bounds checks are not what holds it back.

@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f16>;
@group(0) @binding(3) var<storage, read> v: array<f16>;
@group(0) @binding(4) var<storage, read_write> partialOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> partialStats: array<vec2f>;

// The group's query vectors in f16, ROW_BLOCKS·16 rows of D (rows past GROUP zero).
var<workgroup> qStage: array<f16, ROW_BLOCKS * 16u * D>;
// This workgroup's (split, kvHead, batch), for the epilogue.
var<private> home: vec3u;

const LN2 = 0.6931471805599453;
const LOG2E = 1.4426950408889634;

fn walkOf(group: vec3u) -> Walk {
  let stride = SLOTS * BC;
  let end = min((group.x + 1u) * shape.chunkLen, shape.seqLen);
  let base = (group.z * shape.kvHeads + group.y) * shape.seqLen * D;
  return Walk(end, false, shape.scaleLog2 * LN2, base, (shape.chunkLen + stride - 1u) / stride, stride);
}

fn placeOf(group: vec3u, g: u32) -> Place {
  return Place(0u, group.x * shape.chunkLen + (g / ROW_BLOCKS) * BC, (g % ROW_BLOCKS) * 16u * D);
}

fn prologue(group: vec3u, thread: u32) {
  home = group;
  let first = (group.z * shape.queryHeads + group.y * GROUP) * D;
  for (var e = thread; e < ROW_BLOCKS * 16u * D; e += THREADS) {
    var value = 0.0h;
    if (e / D < GROUP) {
      value = f16(query[first + e]);
    }
    qStage[e] = value;
  }
  workgroupBarrier();
}

// Output tile c: the subgroups of slot 0 merge their row block's tile with the other slots' (each weighed by
// exp(its max − the largest)) and write it, unnormalised, with the rows' max (in log2 units) and sum.
fn epilogue(walk: Walk, place: Place, works: bool, g: u32, lane: u32, lanes: u32, c: u32) {
  if (!works || g >= ROW_BLOCKS) {
    return;
  }
  for (var e = lane; e < 256u; e += lanes) {
    let r = e / 16u;
    let head = 16u * g + r;
    if (head < GROUP) {
      var most = rowMax[head];
      for (var s = 1u; s < SLOTS; s++) {
        most = max(most, rowMax[(s * ROW_BLOCKS + g) * 16u + r]);
      }
      var out = 0.0;
      var sum = 0.0;
      for (var s = 0u; s < SLOTS; s++) {
        let row = (s * ROW_BLOCKS + g) * 16u + r;
        let weight = exp(rowMax[row] - most);
        out += weight * scores[(s * ROW_BLOCKS + g) * 16u * BC + e];
        sum += weight * factors[row];
      }
      let entry = (home.z * shape.queryHeads + home.y * GROUP + head) * shape.splits + home.x;
      partialOut[entry * D + 16u * c + e % 16u] = out;
      if (c == 0u && e % 16u == 0u) {
        partialStats[entry] = vec2f(most * LOG2E, sum);
      }
    }
  }
}
