// Attention version 2, tiled (FlashAttention-2's order), f32: O = softmax(scale·QKᵀ [+ causal mask])·V without
// writing the N×N scores anywhere. q, k, v, o: (heads, N, d) row-major, heads = batch·heads. attention.ts prepends
// D (the head dimension, at most 128) and DJ = ceil(D / 16).
// A workgroup of 16×16 threads owns BR = 64 query rows of one head (grid: (ceil(N / 64), heads)) and walks the keys
// BC = 64 at a time, keeping for each row a running max m and sum l, and the unnormalized output in registers:
//   1. S = Q·Kᵀ for the tile, as the GEMM does it: d in chunks of 16 staged through workgroup memory, thread
//      (tx, ty) keeping rows 4ty..4ty+3 by keys 4tx..4tx+3;
//   2. the row max and the row sum of exp(S − m) across the 16 threads of a row, through workgroup memory, and the
//      running m, l and output rescaled by exp(m_old − m_new);
//   3. O += P·V in chunks of 16 keys: P's chunk and V's rows through workgroup memory, the thread keeping its 4 rows
//      by columns tx, tx+16, … of O.
// Keys past N, and with the causal mask keys after the query, score as far below any other; tiles wholly above
// the diagonal are never visited. Workgroup memory: 12 KiB, one region reused by each step's tiles.

struct Params {
  n: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> o: array<f32>;

const BR = 64u;
const BC = 64u;
const CHUNK = 16u;
const THREADS = 256u;
const MASKED = -1e30;
// [0, 2048): Q's and K's chunks (16 × 64 each, d-major), or V's chunk (16 × D); [2048, 3072): the row reductions
// (64 × 16), or P's chunk (16 keys × 64 rows).
const REGION_B = 2048u;
var<workgroup> pool: array<f32, 3072>;

// The max (useMax) or the sum of each of the thread's 4 rows' values across the 16 threads of those rows.
fn rowReduce(local: vec3u, values: vec4f, useMax: bool) -> vec4f {
  for (var i = 0u; i < 4u; i++) {
    pool[REGION_B + (4u * local.y + i) * 16u + local.x] = values[i];
  }
  workgroupBarrier();
  var result = vec4f(select(0.0, MASKED, useMax));
  for (var i = 0u; i < 4u; i++) {
    for (var t = 0u; t < 16u; t++) {
      let value = pool[REGION_B + (4u * local.y + i) * 16u + t];
      result[i] = select(result[i] + value, max(result[i], value), useMax);
    }
  }
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let thread = local.y * 16u + local.x;
  let n = params.n;
  let base = group.y * n * D;
  let rowBase = group.x * BR;
  var m = vec4f(MASKED);
  var l = vec4f(0.0);
  var acc: array<array<f32, DJ>, 4>;
  // Causal: the keys up to the block's last row; otherwise all of them.
  let keys = select(n, min(n, rowBase + BR), params.causal != 0u);
  for (var keyBase = 0u; keyBase < keys; keyBase += BC) {
    // 1. S = Q·Kᵀ over d, 16 at a time.
    var s = array<vec4f, 4>();
    for (var d0 = 0u; d0 < D; d0 += CHUNK) {
      for (var e = thread; e < BR * CHUNK; e += THREADS) {
        let r = e / CHUNK;
        let c = d0 + e % CHUNK;
        let row = rowBase + r;
        let key = keyBase + r;
        pool[(e % CHUNK) * BR + r] = select(0.0, q[base + row * D + c], row < n && c < D);
        pool[BR * CHUNK + (e % CHUNK) * BC + r] = select(0.0, k[base + key * D + c], key < n && c < D);
      }
      workgroupBarrier();
      for (var kk = 0u; kk < CHUNK; kk++) {
        let qs = vec4f(pool[kk * BR + 4u * local.y], pool[kk * BR + 4u * local.y + 1u], pool[kk * BR + 4u * local.y + 2u], pool[kk * BR + 4u * local.y + 3u]);
        let at = BR * CHUNK + kk * BC + 4u * local.x;
        let ks = vec4f(pool[at], pool[at + 1u], pool[at + 2u], pool[at + 3u]);
        for (var i = 0u; i < 4u; i++) {
          s[i] = fma(vec4f(qs[i]), ks, s[i]);
        }
      }
      workgroupBarrier();
    }
    // 2. Scale, mask, and the online softmax's running max and sum.
    var tileMax = vec4f(MASKED);
    for (var i = 0u; i < 4u; i++) {
      let row = rowBase + 4u * local.y + i;
      for (var j = 0u; j < 4u; j++) {
        let key = keyBase + 4u * local.x + j;
        let hidden = key >= n || (params.causal != 0u && key > row);
        s[i][j] = select(params.scale * s[i][j], MASKED, hidden);
        tileMax[i] = max(tileMax[i], s[i][j]);
      }
    }
    let mNew = max(m, rowReduce(local, tileMax, true));
    let rescale = exp(m - mNew);
    var sums = vec4f(0.0);
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        s[i][j] = select(exp(s[i][j] - mNew[i]), 0.0, s[i][j] <= MASKED);
        sums[i] += s[i][j];
      }
    }
    l = l * rescale + rowReduce(local, sums, false);
    m = mNew;
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < DJ; j++) {
        acc[i][j] *= rescale[i];
      }
    }
    // 3. O += P·V, 16 keys at a time.
    for (var k0 = 0u; k0 < BC; k0 += CHUNK) {
      if (4u * local.x >= k0 && 4u * local.x < k0 + CHUNK) {
        for (var j = 0u; j < 4u; j++) {
          for (var i = 0u; i < 4u; i++) {
            pool[REGION_B + (4u * local.x + j - k0) * BR + 4u * local.y + i] = s[i][j];
          }
        }
      }
      for (var e = thread; e < CHUNK * D; e += THREADS) {
        let key = keyBase + k0 + e / D;
        pool[e] = select(0.0, v[base + key * D + e % D], key < n);
      }
      workgroupBarrier();
      for (var key = 0u; key < CHUNK; key++) {
        for (var i = 0u; i < 4u; i++) {
          let p = pool[REGION_B + key * BR + 4u * local.y + i];
          for (var j = 0u; j < DJ; j++) {
            let col = local.x + 16u * j;
            if (col < D) {
              acc[i][j] = fma(p, pool[key * D + col], acc[i][j]);
            }
          }
        }
      }
      workgroupBarrier();
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let row = rowBase + 4u * local.y + i;
    if (row < n) {
      for (var j = 0u; j < DJ; j++) {
        let col = local.x + 16u * j;
        if (col < D) {
          o[base + row * D + col] = acc[i][j] / l[i];
        }
      }
    }
  }
}
