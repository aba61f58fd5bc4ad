// Attention version 3, tiled on the matrix units (tensor cores): f16 Q, K, V and O, f32 scores, softmax state and
// accumulators, through subgroup matrices (16×16×16, f16 → f32). q, k, v, o: (heads, N, D) row-major; q, k and v
// padded past their last row by PAD_ROWS rows (the kernel loads whole 16-row tiles and never reads the padding
// into a result). attention.ts appends the constants (D, BC, SG, THREADS) and writes the straight-line
// parts (//LOAD_Q, //SCORES, //VALUES, //RESCALE, //OUTPUT) for D / 16 tiles of the head and BC / 16 of the keys.
// A workgroup of SG subgroups owns BR = 16·SG query rows of one head (grid: (ceil(N / BR), heads)); subgroup g owns
// rows 16g..16g+15 and keeps their Q tiles (Left) and output tiles (Result) in registers for the whole walk.
// Keys are walked BC at a time:
//   1. S = Q·Kᵀ: each subgroup multiplies its Q tiles by K's tiles loaded straight from device memory (column-major,
//      which is Kᵀ), and stores its 16×BC scores into workgroup memory;
//   2. the softmax, by the subgroup's lanes (two a row, BC/2 keys each, paired by a shuffle): scale, mask, the row
//      max, P = exp(S − m) rounded to f16 into workgroup memory, and the running sum l;
//   3. O += P·V: P's tiles from workgroup memory, V's straight from device memory.
// The running max is lazy (as in FlashAttention-4): a row keeps the max it has until a block's exceeds it by more
// than TAU, so P stays below e^TAU (far inside f16) and the output tiles, which no lane can touch in registers,
// are rescaled through workgroup memory only on the rare blocks where some row's max moved that much. Keys past
// N, and with the causal mask keys after the query, score nothing; blocks wholly above the diagonal are skipped.
// Swept on an H100 (2026-12-06, Dawn `webgpu` 0.6.2, `npm run tune`, B=1, H=32, N=4096, d=128, median of 5):
//   subgroups 4, keys 32: 9.42 ms (29.2 TFLOP/s, 0.36 of the standalone feed loop's 80.5 and 0.14 of the probe's
//   fed rate, 203); subgroups 4, keys 64: 12.88; subgroups 2, keys 64: 11.03 (the other three timed out). So 4 and 32
//   are the defaults. Tried: the scores as Sᵀ = K·Qᵀ, K's tiles loaded row-major as left operands, Qᵀ's kept in
//   registers and Sᵀ stored column-major (which is S), in case Kᵀ's column-major loads from storage were slow as
//   they are in the GEMM: 9.69 ms at keys 32 and 12.92 at 64, no gain, so it was taken out again.

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
// Tile offsets depend on subgroup_id: uniform within a subgroup, which is all the matrix builtins need.
diagnostic(off, chromium.subgroup_matrix_uniformity);
// The softmax's shuffles run in a loop over the subgroup's items whose trip count is the subgroup size.
diagnostic(off, subgroup_uniformity);

struct Params {
  n: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f16>;
@group(0) @binding(2) var<storage, read> k: array<f16>;
@group(0) @binding(3) var<storage, read> v: array<f16>;
@group(0) @binding(4) var<storage, read_write> o: array<f16>;

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
  let n = params.n;
  let base = group.y * n * D;
  let rowBase = group.x * BR;
  // Where the device runs subgroups smaller than the largest, those past SG idle (subgroups of 16 lanes or more).
  let works = subgroup < SG;
  let g = min(subgroup, SG - 1u);
  let region = g * 16u * BC;
  // This subgroup's rows as items (row, half); with 16 lanes each lane has two, in slots 0 and 1.
  var m = array<f32, 2>(MASKED, MASKED);
  var l = array<f32, 2>(0.0, 0.0);
  //LOAD_Q
  let keys = select(n, min(n, rowBase + BR), params.causal != 0u);
  for (var keyBase = 0u; keyBase < keys; keyBase += BC) {
    // 1. S = Q·Kᵀ into this subgroup's region.
    if (works) {
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
        let row = rowBase + 16u * g + r;
        let at = region + r * BC + half * HALF;
        var most = MASKED;
        for (var j = 0u; j < HALF; j++) {
          let key = keyBase + half * HALF + j;
          let hidden = key >= n || (params.causal != 0u && key > row);
          most = max(most, select(params.scale * scores[at + j], MASKED, hidden));
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
          let hidden = key >= n || (params.causal != 0u && key > row);
          let p = select(exp(params.scale * scores[at + j] - shift), 0.0, hidden);
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
    if (works) {
      //VALUES
    }
    workgroupBarrier();
  }
  // Each row's sum, then each output tile out through the region, divided by it and rounded to f16.
  if (works) {
    for (var first = 0u; first < ITEMS; first += lanes) {
      let item = first + lane;
      if (item < ITEMS && item % 2u == 0u) {
        factors[16u * g + item / 2u] = l[first / lanes];
      }
    }
  }
  workgroupBarrier();
  //OUTPUT
}

// Output tile c of this subgroup, stored in its region, scaled row by row by factors (or divided by them, at the
// end), and loaded back or written out. Called with the workgroup's barriers around it.
fn scaleTile(works: bool, g: u32, lane: u32, lanes: u32) {
  if (works) {
    for (var e = lane; e < 256u; e += lanes) {
      scores[g * 16u * BC + e] *= factors[16u * g + e / 16u];
    }
  }
}

fn writeTile(works: bool, g: u32, lane: u32, lanes: u32, base: u32, rowBase: u32, c: u32) {
  if (works) {
    for (var e = lane; e < 256u; e += lanes) {
      let row = rowBase + 16u * g + e / 16u;
      if (row < params.n) {
        o[base + row * D + 16u * c + e % 16u] = f16(scores[g * 16u * BC + e] / factors[16u * g + e / 16u]);
      }
    }
  }
}
