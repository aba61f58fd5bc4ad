// GEMM version 2: C = op(A)·op(B) [+ scale·A2·B2] in f32, tiled through workgroup memory with register blocking.
// gemm.ts appends the tile constants, the walk over K (blocks.wgsl, which also splits K across workgroups) and
// the storage access (access.ts): read4_<x>(row, col, rows, cols) gives four neighbours of one stored row, zeros
// past the edges, and write4_c(base, row, col, v) stores four, guarded; single vec4 accesses where rows allow.
// A is stored (m, k), or (k, m) when TRANS_A; B (k, n), or (n, k) when TRANS_B; the optional second product
// (the epilogue LoRA's fused variant uses) is A2 (m, k2) · B2 (k2, n), never transposed, scaled as it is staged.
// A workgroup of 256 threads owns a BM×BN block of C and walks K (then K2) BK at a time: while the block in
// workgroup memory is multiplied, each thread already holds the next block's loads in registers, and the
// block after is staged into the other of two buffers (one barrier a block). Each thread keeps 8 rows (two
// runs of 4, 16 apart) by 8 columns (two runs of 4, 32 apart) of its warp's 32×64: 64 accumulators, read from
// workgroup memory as vec4s (one vec4 of A and one of B feed 16 FMAs). Grid: (ceil(n / BN), ceil(m / BM), splits).
// On an H200 (2026-12-04, Dawn `webgpu` 0.6.2, the GEMM lab): 27.2, 32.2 and 34.8 TFLOP/s at 1024³, 2048³ and
// 4096³, where PyTorch's fp32 GEMM (cuBLAS, no TF32) ran at 50.7 in the same session: 0.69× of it, 54% of the FMA
// ceiling the probe measured (64.5); 35.9 on 2026-11-29. Tried on the way, at 4096³: BK 16 (25–28 TFLOP/s, also
// when the next block is not held in registers: not yet understood), one buffer with two barriers a block (36–37,
// within noise), Dawn's bounds checks off (36.9), the multiply-adds written out with named accumulators (28.7; also
// unrolled over kk, 32.3), and the thread layout before this warp one (16×16 threads over the whole block: 34.8,
// against 35.5 for this in one throwaway; level in the lab), and each block staged straight from its loads with one
// barrier after it (34.1). Where the time goes (time only, wrong results): with no loads from storage 43.4, and the
// multiply-adds alone on whatever workgroup memory holds 48.3, 75% of the ceiling; the loads from storage cost a
// fifth of the time.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const THREADS = 256u;
const BM4 = BM / 4u;
const BN4 = BN / 4u;
const BK4 = BK / 4u;
// vec4 loads each thread makes per block of A and of B
const LOADS_A = BM * BK / 4u / THREADS;
const LOADS_B = BK * BN / 4u / THREADS;

// Two of each, so that staging the next block needs no barrier after multiplying the last one.
var<workgroup> aTile: array<vec4f, 2u * BK * BM4>;   // [buffer][kk][row / 4]: the block of op(A), transposed
var<workgroup> bTile: array<vec4f, 2u * BK * BN4>;   // [buffer][kk][col / 4]

struct Staged {
  a: array<vec4f, LOADS_A>,
  b: array<vec4f, LOADS_B>,
}

// Block `k0` of product `p` (0: op(A)·op(B), 1: A2·B2) from storage into registers, each vec4 along the stored rows.
fn fetch(p: u32, k0: u32, rowBase: u32, colBase: u32, thread: u32) -> Staged {
  var s: Staged;
  for (var l = 0u; l < LOADS_A; l++) {
    let e = thread + THREADS * l;
    if (p == 1u) {
      s.a[l] = read4_a2(rowBase + e / BK4, k0 + 4u * (e % BK4), shape.m, shape.k2) * shape.scale;
    } else if (TRANS_A) {
      s.a[l] = read4_a(k0 + e / BM4, rowBase + 4u * (e % BM4), shape.k, shape.m);
    } else {
      s.a[l] = read4_a(rowBase + e / BK4, k0 + 4u * (e % BK4), shape.m, shape.k);
    }
  }
  for (var l = 0u; l < LOADS_B; l++) {
    let e = thread + THREADS * l;
    if (p == 1u) {
      s.b[l] = read4_b2(k0 + e / BN4, colBase + 4u * (e % BN4), shape.k2, shape.n);
    } else if (TRANS_B) {
      s.b[l] = read4_b(colBase + e / BK4, k0 + 4u * (e % BK4), shape.n, shape.k);
    } else {
      s.b[l] = read4_b(k0 + e / BN4, colBase + 4u * (e % BN4), shape.k, shape.n);
    }
  }
  return s;
}

// Registers into workgroup buffer `buffer`: a vec4 that runs along K is scattered into four rows of the tile.
fn stage(p: u32, s: Staged, thread: u32, buffer: u32) {
  let aBase = buffer * BK * BM4;
  let bBase = buffer * BK * BN4;
  for (var l = 0u; l < LOADS_A; l++) {
    let e = thread + THREADS * l;
    if (TRANS_A && p == 0u) {
      aTile[aBase + e] = s.a[l];
    } else {
      let row = e / BK4;
      let kk = 4u * (e % BK4);
      for (var i = 0u; i < 4u; i++) {
        aTile[aBase + (kk + i) * BM4 + row / 4u][row % 4u] = s.a[l][i];
      }
    }
  }
  for (var l = 0u; l < LOADS_B; l++) {
    let e = thread + THREADS * l;
    if (TRANS_B && p == 0u) {
      let col = e / BK4;
      let kk = 4u * (e % BK4);
      for (var i = 0u; i < 4u; i++) {
        bTile[bBase + (kk + i) * BN4 + col / 4u][col % 4u] = s.b[l][i];
      }
    } else {
      bTile[bBase + e] = s.b[l];
    }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let rowBase = group.y * BM;
  let colBase = group.x * BN;
  // Each run of 32 threads (a warp on NVIDIA) owns 32 rows × 64 columns of the block, as 8 × 4 threads, so that
  // the values it reads from workgroup memory for one kk are 4 + 4 of A's and 8 + 8 of B's vec4s.
  let warp = thread / 32u;
  let lane = thread % 32u;
  let row0 = (warp / 2u) * 8u + lane / 8u;   // in vec4s of rows; the thread's others are row0 + 4
  let col0 = (warp % 2u) * 16u + lane % 8u;  // in vec4s of columns; the others col0 + 8
  // acc[2i + h]: row i of the thread's 8 (4 from row0, 4 from row0 + 4), columns of vec4 col0 + 8h.
  var acc: array<vec4f, 16>;
  // Threads whose rows lie wholly below C skip their multiplies (most of them when m is a few tokens).
  let live = rowBase + 4u * row0 < shape.m;
  enter(group.z);
  let slice = sliceOf(group.z);
  var next = fetch(slice.p, slice.k0, rowBase, colBase, thread);
  for (var t = slice.first; t < slice.end; t++) {
    let buffer = t % 2u;
    stage(productOf(t), next, thread, buffer);
    workgroupBarrier();
    let after = t + 1u;
    if (after < slice.end) {
      let p = productOf(after);
      next = fetch(p, blockStart(after, p), rowBase, colBase, thread);
    }
    if (live) {
      let aBase = buffer * BK * BM4;
      let bBase = buffer * BK * BN4;
      for (var kk = 0u; kk < BK; kk++) {
        let a0 = aTile[aBase + kk * BM4 + row0];
        let a1 = aTile[aBase + kk * BM4 + row0 + 4u];
        let b0 = bTile[bBase + kk * BN4 + col0];
        let b1 = bTile[bBase + kk * BN4 + col0 + 8u];
        for (var i = 0u; i < 4u; i++) {
          acc[2u * i] = fma(vec4f(a0[i]), b0, acc[2u * i]);
          acc[2u * i + 1u] = fma(vec4f(a0[i]), b1, acc[2u * i + 1u]);
          acc[8u + 2u * i] = fma(vec4f(a1[i]), b0, acc[8u + 2u * i]);
          acc[9u + 2u * i] = fma(vec4f(a1[i]), b1, acc[9u + 2u * i]);
        }
      }
    }
  }
  let base = group.z * shape.m * shape.n;
  for (var i = 0u; i < 4u; i++) {
    let upper = rowBase + 4u * row0 + i;
    let lower = upper + 16u;
    let left = colBase + 4u * col0;
    let right = left + 32u;
    write4_c(base, upper, left, acc[2u * i]);
    write4_c(base, upper, right, acc[2u * i + 1u]);
    write4_c(base, lower, left, acc[8u + 2u * i]);
    write4_c(base, lower, right, acc[9u + 2u * i]);
  }
}
