// The walk of attention on the matrix units (tensor cores): f16 Q, K and V, f32 scores, softmax state and
// accumulators, through subgroup matrices (16×16×16, f16 → f32). Two kernels are this walk with their own header:
// attention's version 3 (matrix.wgsl: one head's query rows against all its keys) and grouped decode attention
// (src/kernels/decode/matrix.wgsl: a KV head's group of query heads against a split of its cache). The header
// declares q, k and v (k and v as f16 arrays, (…, keys, D) row-major, readable for whole 16-row tiles past the
// last key), and defines walkOf and placeOf (where a workgroup and each of its subgroups walk), prologue (run first
// by every thread) and epilogue (each output tile's way out). walk.ts writes the straight-line parts (//LOAD_Q,
// //SCORES, //VALUES, //RESCALE, //OUTPUT) for D / 16 tiles of the head and BC / 16 of the keys, and appends D, BC,
// SG and THREADS. Each of the SG subgroups keeps the Q tiles (Left) and output tiles (Result) of its 16 query rows in
// registers for the whole walk, and walks its keys BC at a time, `steps` blocks (the same count in every subgroup):
//   1. S = Q·Kᵀ: each subgroup multiplies its Q tiles by K's tiles loaded straight from device memory (column-major,
//      which is Kᵀ), and stores its 16×BC scores into workgroup memory;
//   2. the softmax, by the subgroup's lanes (two a row, BC/2 keys each, paired by a shuffle): scale, mask, the row
//      max, P = exp(S − m) rounded to f16 into workgroup memory, and the running sum l;
//   3. O += P·V: P's tiles from workgroup memory, V's straight from device memory.
// The running max is lazy (as in FlashAttention-4): a row keeps the max it has until a block's exceeds it by more
// than TAU, so P stays below e^TAU (far inside f16) and the output tiles, which no lane can touch in registers,
// are rescaled through workgroup memory only on the rare blocks where some row's max moved that much. Keys past
// N, and with the causal mask keys after the query, score nothing; blocks wholly above the diagonal are skipped.
// A subgroup whose block starts past its last key skips both products.
// Attention's version 3, swept on an H100 (2026-12-06, Dawn `webgpu` 0.6.2, `npm run tune`, B=1, H=32, N=4096,
// d=128, median of 5):
//   subgroups 4, keys 32: 9.42 ms (29.2 TFLOP/s, 0.36 of the standalone feed loop's 80.5 and 0.14 of the probe's
//   fed rate, 203); subgroups 4, keys 64: 12.88; subgroups 2, keys 64: 11.03 (the other three timed out). So 4 and 32
//   are the defaults. Tried: the scores as Sᵀ = K·Qᵀ, K's tiles loaded row-major as left operands, Qᵀ's kept in
//   registers and Sᵀ stored column-major (which is S), in case Kᵀ's column-major loads from storage were slow as
//   they are in the GEMM: 9.69 ms at keys 32 and 12.92 at 64, no gain, so it was taken out again.
//   Shared with the decode kernel the same day, at the defaults: 9.15 and 9.16 ms in two calls; 9.15 with Dawn's
//   robustness off, so its bounds checks cost it nothing measurable. Tried: loading each block's V tiles with its K
//   tiles, to arrive during the softmax: 9.65 ms, taken out.

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
// Tile offsets depend on subgroup_id: uniform within a subgroup, which is all the matrix builtins need.
diagnostic(off, chromium.subgroup_matrix_uniformity);
// The softmax's shuffles run in a loop over the subgroup's items whose trip count is the subgroup size.
diagnostic(off, subgroup_uniformity);

// Where a workgroup walks (the header's walkOf says): the same for all its subgroups, so barriers in the walk's loop
// stay in uniform control flow.
struct Walk {
  // Keys from n on score nothing; with `causal`, neither do keys after the query row.
  n: u32,
  causal: bool,
  // Scores are scale·q·k.
  scale: f32,
  // The element of k and v where key 0 of this workgroup's head starts.
  base: u32,
  // Blocks each subgroup walks, keyStride keys apart.
  steps: u32,
  keyStride: u32,
}

// Where subgroup g walks in its workgroup (the header's placeOf says).
struct Place {
  // Its first query row (for the causal mask).
  firstRow: u32,
  // Its block i starts at key keyFirst + i·keyStride.
  keyFirst: u32,
  // Where its Q tiles start in the array LOAD_Q reads (attention: q; decode: its staged copy).
  qFirst: u32,
}

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

const BR = 16u * SG;
const P_STRIDE = BC + 8u;    // halves per row of P (padded against bank conflicts)
const HALF = BC / 2u;        // keys each lane scores
const ITEMS = 32u;           // (row, half) pairs of a subgroup's 16 rows
const MASKED = -1e30;
const TAU = 8.0;

// Every workgroup variable is a whole number of 16 bytes: NVIDIA's Vulkan driver packs them one after another, and
// a matrix load from an array it placed 8 bytes off a 16-byte boundary read each row 8 bytes early (seen on an H200
// with the flags below as single words).
var<workgroup> scores: array<f32, BR * BC>;     // subgroup g: rows 16g.. (16 × BC); also each output tile's way out
var<workgroup> probs: array<f16, BR * P_STRIDE>;
var<workgroup> factors: array<f32, BR>;          // each row's rescale for this block, or its final sum l
var<workgroup> rowMax: array<f32, BR>;           // at the end, each row's max (the shift of its sum and outputs)
var<workgroup> moved: array<atomic<u32>, 4>;    // [0]: some row's max moved by more than TAU in this block
var<workgroup> movedWord: vec4u;                // [0]: moved, read uniformly

@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_index) thread: u32,
  @builtin(subgroup_id) subgroup: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) lanes: u32,
) {
  // Where the device runs subgroups smaller than the largest, those past SG idle (subgroups of 16 lanes or more).
  let works = subgroup < SG;
  let g = min(subgroup, SG - 1u);
  let region = g * 16u * BC;
  let walk = walkOf(group);
  let place = placeOf(group, g);
  let n = walk.n;
  let base = walk.base;
  prologue(group, thread);
  // This subgroup's rows as items (row, half); with 16 lanes each lane has two, in slots 0 and 1.
  var m = array<f32, 2>(MASKED, MASKED);
  var l = array<f32, 2>(0.0, 0.0);
  //LOAD_Q
  for (var step = 0u; step < walk.steps; step++) {
    let keyBase = place.keyFirst + step * walk.keyStride;
    let live = works && keyBase < n;
    // 1. S = Q·Kᵀ into this subgroup's region.
    if (live) {
      //SCORES
    }
    if (thread == 0u) {
      atomicStore(&moved[0], 0u);
    }
    workgroupBarrier();
    // 2. The softmax, one item (a row's half of the keys) a lane.
    if (works) {
      for (var first = 0u; first < ITEMS; first += lanes) {
        let slot = first / lanes;
        let item = (first + lane) % ITEMS;
        let r = item / 2u;
        let half = item % 2u;
        let row = place.firstRow + r;
        let at = region + r * BC + half * HALF;
        var most = MASKED;
        for (var j = 0u; j < HALF; j++) {
          let key = keyBase + half * HALF + j;
          let hidden = key >= n || (walk.causal && key > row);
          most = max(most, select(walk.scale * scores[at + j], MASKED, hidden));
        }
        most = max(most, subgroupShuffleXor(most, 1u));
        let old = m[slot];
        var shift = old;
        var factor = 1.0;
        if (old <= MASKED) {
          shift = most;   // the row's first block: nothing to rescale
        } else if (most > old + TAU) {
          shift = most;
          factor = exp(old - most);
        }
        var sum = 0.0;
        for (var j = 0u; j < HALF; j++) {
          let key = keyBase + half * HALF + j;
          let hidden = key >= n || (walk.causal && key > row);
          let p = select(exp(walk.scale * scores[at + j] - shift), 0.0, hidden);
          sum += p;
          if (first + lane < ITEMS) {
            probs[(16u * g + r) * P_STRIDE + half * HALF + j] = f16(p);
          }
        }
        sum += subgroupShuffleXor(sum, 1u);
        m[slot] = shift;
        l[slot] = l[slot] * factor + sum;
        if (first + lane < ITEMS && half == 0u) {
          factors[16u * g + r] = factor;
          if (factor != 1.0) {
            atomicStore(&moved[0], 1u);
          }
        }
      }
    }
    workgroupBarrier();
    if (thread == 0u) {
      movedWord = vec4u(atomicLoad(&moved[0]));
    }
    if (workgroupUniformLoad(&movedWord).x != 0u) {
      //RESCALE
    }
    // 3. O += P·V.
    if (live) {
      //VALUES
    }
    workgroupBarrier();
  }
  // Each row's sum and max, then each output tile out through the region (the header's epilogue).
  if (works) {
    for (var first = 0u; first < ITEMS; first += lanes) {
      let item = first + lane;
      if (item < ITEMS && item % 2u == 0u) {
        factors[16u * g + item / 2u] = l[first / lanes];
        rowMax[16u * g + item / 2u] = m[first / lanes];
      }
    }
  }
  workgroupBarrier();
  //OUTPUT
}

// An output tile of this subgroup, stored in its region, scaled row by row by factors before it is loaded back.
// Called with the workgroup's barriers around it.
fn scaleTile(works: bool, g: u32, lane: u32, lanes: u32) {
  if (works) {
    for (var e = lane; e < 256u; e += lanes) {
      scores[g * 16u * BC + e] *= factors[16u * g + e / 16u];
    }
  }
}

