// Attention version 2, tiled (FlashAttention-2's order), f32: O = softmax(scale·QKᵀ [+ causal mask])·V without
// writing the N×N scores anywhere. q, k, v, o: (heads, N, D) row-major, heads = batch·heads. attention.ts prepends
// D (the head dimension, at most 128), RH and KH (the block's rows and keys in runs of 64: BR = 64·RH, BC = 64·KH),
// DH = ceil(D / 64), and the storage access (readQ, readK, readV: four neighbours of a row, zeros past N or D;
// writeO), vec4 loads and stores where D is a multiple of 4.
// A workgroup of 16×16 threads owns BR query rows of one head (grid: (ceil(N / BR), heads)) and walks the keys BC
// at a time. Thread (tx, ty) keeps rows 4ty..4ty+3 (+ 64 for the second run), and as the GEMM's tiled kernel does,
// 4·RH × 4·KH scores and 4·RH × 4·DH outputs in registers, each read of workgroup memory a vec4 feeding 16 FMAs:
//   1. S = Q·Kᵀ for the block: D in chunks of 8, Q's and K's chunks staged through workgroup memory (the next
//      chunk's loads already in registers while this one is multiplied); scores for keys 4tx.. (+ 64);
//   2. scale and mask, the rows' block max across the 16 threads of a row through workgroup memory, and the running
//      max m, the output and each thread's share of the running sum l rescaled by exp(m_old − m_new); P = exp(S − m);
//   3. O += P·V in chunks of 8 keys: the threads holding those keys stage their P, V's rows are staged, and every
//      thread multiplies its rows by its columns 4tx.. (+ 64).
// The threads' shares of l are summed once, at the end. Keys past N, and with the causal mask keys after the query,
// score nothing; blocks wholly above the diagonal are never visited. Workgroup memory: 8 KiB, reused by each step.
// On an H100 (2026-12-06, Dawn `webgpu` 0.6.2, `npm run tune`, B=1, H=32, N=1024, d=128, median of 10): rows 128,
// keys 64: 733 µs (23.4 TFLOP/s); rows 64, keys 64: 742; against 785 for the naive kernel (the N×N scores through
// device memory) in the same run. With 128 keys a block both took 4.8 ms: the PV step indexes a thread's scores by
// the run of keys, and with two runs the scores left registers. The kernel this replaced (64×64 blocks, 4×4 scores a
// thread, Q staged scalar by scalar, 28 barriers a block) ran at 1.34 ms, 0.59× the naive one. With 8 heads (the
// lab's default) rows 128 left the GPU short of workgroups, 64 at N=1024, where it ran at 0.62× the naive kernel
// (346 against 215 µs; 256 workgroups at 4096, 0.97×). So 64 rows is the default: twice the workgroups. In the
// scorecard the same day (32 heads, rows 64): 1.06× the naive kernel at N=1024 (742 against 784 µs), 0.95× at 2048
// (2.90 against 2.75 ms), and at 4096 11.37 ms, 0.54× PyTorch's memory-efficient f32 attention (6.13 ms), where
// rows 128 took 10.98. Both kernels are bound by their FMAs here, the naive one's two products running on the tiled
// GEMM; this one's inner loops are as dense as the GEMM's but it also pays for the softmax and for P staged by two
// threads of sixteen at each step; where its time goes is not yet measured.

struct Params {
  n: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;

const BR = 64u * RH;
const BC = 64u * KH;
const RT = 4u * RH;          // rows a thread
const KT = 4u * KH;          // keys a thread
const CHUNK = 8u;
const THREADS = 256u;
const MASKED = -1e30;
const BR4 = BR / 4u;
const BC4 = BC / 4u;
const D4 = (D + 3u) / 4u;
// [0, 256): a chunk of Q or of P (CHUNK × BR, d- or key-major, as vec4s of rows); [256, 512): a chunk of K
// (CHUNK × BC, as vec4s of keys) or of V (CHUNK × D4). The row reductions use all of it (BR × 16 values).
const SECOND = 256u;
var<workgroup> pool: array<vec4f, 512>;

// Vector e of a chunk of `rows` rows of Q (or K) at depth d0: which row, and which 4 of the 8 dims.
fn chunkRow(e: u32) -> u32 {
  return e / 2u;
}

fn chunkDim(e: u32) -> u32 {
  return 4u * (e % 2u);
}

// A vec4 along D of row r into the chunk at `at`, scattered over 4 of its depth rows (BR4 or BC4 vec4s each).
fn scatter(at: u32, width: u32, e: u32, value: vec4f) {
  let r = chunkRow(e);
  for (var i = 0u; i < 4u; i++) {
    pool[at + (chunkDim(e) + i) * width + r / 4u][r % 4u] = value[i];
  }
}

// This thread's vectors of the chunks of Q and K at depth d0 (threads past each chunk's 2·BR or 2·BC load nothing).
fn fetchQK(q4: ptr<function, vec4f>, k4: ptr<function, vec4f>, thread: u32, base: u32, rowBase: u32, keyBase: u32, d0: u32) {
  if (thread < 2u * BR) {
    *q4 = readQ(base, rowBase + chunkRow(thread), d0 + chunkDim(thread));
  }
  if (thread < 2u * BC) {
    *k4 = readK(base, keyBase + chunkRow(thread), d0 + chunkDim(thread));
  }
}

// The max (useMax) or the sum of each of the thread's rows' values across the 16 threads of those rows.
fn rowReduce(tx: u32, ty: u32, values: array<f32, RT>, useMax: bool) -> array<f32, RT> {
  for (var i = 0u; i < RT; i++) {
    let r = 4u * ty + (i % 4u) + 64u * (i / 4u);
    pool[4u * r + tx / 4u][tx % 4u] = values[i];
  }
  workgroupBarrier();
  var result: array<f32, RT>;
  for (var i = 0u; i < RT; i++) {
    let r = 4u * ty + (i % 4u) + 64u * (i / 4u);
    var part = pool[4u * r];
    for (var t = 1u; t < 4u; t++) {
      part = select(part + pool[4u * r + t], max(part, pool[4u * r + t]), useMax);
    }
    result[i] = select(part.x + part.y + part.z + part.w, max(max(part.x, part.y), max(part.z, part.w)), useMax);
  }
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let tx = local.x;
  let ty = local.y;
  let thread = ty * 16u + tx;
  let n = params.n;
  let base = group.y * n * D;
  let rowBase = group.x * BR;
  var m: array<f32, RT>;
  var l: array<f32, RT>;
  for (var i = 0u; i < RT; i++) {
    m[i] = MASKED;
  }
  // acc[i·DH + h]: row i of the thread's, columns 4(tx + 16h)..+3.
  var acc: array<vec4f, RT * DH>;
  let keys = select(n, min(n, rowBase + BR), params.causal != 0u);
  for (var keyBase = 0u; keyBase < keys; keyBase += BC) {
    // 1. S = Q·Kᵀ over D, 8 at a time. s[i·KH + h]: row i, keys 4(tx + 16h)..+3 of the block.
    // Zeroed by hand: a var declared in a loop kept its last trip's values on SwiftShader.
    var s: array<vec4f, RT * KH>;
    for (var i = 0u; i < RT * KH; i++) {
      s[i] = vec4f(0.0);
    }
    var nextQ = vec4f(0.0);
    var nextK = vec4f(0.0);
    fetchQK(&nextQ, &nextK, thread, base, rowBase, keyBase, 0u);
    for (var d0 = 0u; d0 < D; d0 += CHUNK) {
      if (thread < 2u * BR) {
        scatter(0u, BR4, thread, nextQ);
      }
      if (thread < 2u * BC) {
        scatter(SECOND, BC4, thread, nextK);
      }
      workgroupBarrier();
      if (d0 + CHUNK < D) {
        fetchQK(&nextQ, &nextK, thread, base, rowBase, keyBase, d0 + CHUNK);
      }
      for (var kk = 0u; kk < CHUNK; kk++) {
        for (var hr = 0u; hr < RH; hr++) {
          let a = pool[kk * BR4 + ty + 16u * hr];
          for (var hk = 0u; hk < KH; hk++) {
            let b = pool[SECOND + kk * BC4 + tx + 16u * hk];
            for (var i = 0u; i < 4u; i++) {
              s[(4u * hr + i) * KH + hk] = fma(vec4f(a[i]), b, s[(4u * hr + i) * KH + hk]);
            }
          }
        }
      }
      workgroupBarrier();
    }
    // 2. Scale, mask, the block's row max, and the online softmax.
    var most: array<f32, RT>;
    for (var i = 0u; i < RT; i++) {
      let row = rowBase + 4u * ty + (i % 4u) + 64u * (i / 4u);
      most[i] = MASKED;
      for (var h = 0u; h < KH; h++) {
        for (var j = 0u; j < 4u; j++) {
          let key = keyBase + 4u * (tx + 16u * h) + j;
          let hidden = key >= n || (params.causal != 0u && key > row);
          s[i * KH + h][j] = select(params.scale * s[i * KH + h][j], MASKED, hidden);
          most[i] = max(most[i], s[i * KH + h][j]);
        }
      }
    }
    let blockMax = rowReduce(tx, ty, most, true);
    for (var i = 0u; i < RT; i++) {
      let mNew = max(m[i], blockMax[i]);
      let rescale = exp(m[i] - mNew);
      m[i] = mNew;
      var sum = 0.0;
      for (var h = 0u; h < KH; h++) {
        let p = select(exp(s[i * KH + h] - vec4f(mNew)), vec4f(0.0), s[i * KH + h] <= vec4f(MASKED));
        s[i * KH + h] = p;
        sum += p.x + p.y + p.z + p.w;
      }
      l[i] = l[i] * rescale + sum;
      for (var h = 0u; h < DH; h++) {
        acc[i * DH + h] *= rescale;
      }
    }
    // 3. O += P·V, 8 keys at a time: keys 64hk + 8c.. are held by threads tx = 2c and 2c + 1.
    var nextV = vec4f(0.0);
    if (thread < CHUNK * D4) {
      nextV = readV(base, keyBase + thread / D4, 4u * (thread % D4));
    }
    for (var hk = 0u; hk < KH; hk++) {
      for (var c = 0u; c < 8u; c++) {
        let k0 = 64u * hk + CHUNK * c;
        if (tx / 2u == c) {
          for (var i = 0u; i < RT; i++) {
            let r = 4u * ty + (i % 4u) + 64u * (i / 4u);
            for (var j = 0u; j < 4u; j++) {
              pool[(4u * (tx % 2u) + j) * BR4 + r / 4u][r % 4u] = s[i * KH + hk][j];
            }
          }
        }
        if (thread < CHUNK * D4) {
          pool[SECOND + thread] = nextV;
        }
        workgroupBarrier();
        if (k0 + CHUNK < BC && thread < CHUNK * D4) {
          nextV = readV(base, keyBase + k0 + CHUNK + thread / D4, 4u * (thread % D4));
        }
        for (var kk = 0u; kk < CHUNK; kk++) {
          for (var hr = 0u; hr < RH; hr++) {
            let a = pool[kk * BR4 + ty + 16u * hr];
            for (var h = 0u; h < DH; h++) {
              let b = pool[SECOND + kk * D4 + min(tx + 16u * h, D4 - 1u)];
              for (var i = 0u; i < 4u; i++) {
                acc[(4u * hr + i) * DH + h] = fma(vec4f(a[i]), b, acc[(4u * hr + i) * DH + h]);
              }
            }
          }
        }
        workgroupBarrier();
      }
    }
  }
  let sums = rowReduce(tx, ty, l, false);
  for (var i = 0u; i < RT; i++) {
    let row = rowBase + 4u * ty + (i % 4u) + 64u * (i / 4u);
    for (var h = 0u; h < DH; h++) {
      let col = 4u * (tx + 16u * h);
      if (row < n && col < D) {
        writeO(base, row, col, acc[i * DH + h] / sums[i]);
      }
    }
  }
}
