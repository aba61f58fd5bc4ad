// The feed ceiling: how fast the matrix units (tensor cores) can be fed through subgroup matrices, when every
// multiply's operands come from workgroup memory, as in any real GEMM or attention kernel. A workgroup of 2×2
// subgroups owns a 128×128 block of output, each subgroup 4×4 result tiles of 16×16 (f32 sums). The workgroup
// fills workgroup memory once from storage, a 128×32 block of A and a 32×128 block of B (f16, rows padded by 8
// halves against bank conflicts), then runs `iterations` steps: each step loads the subgroup's 4 left and 4 right
// tiles with subgroupMatrixLoad at depth (step mod 2)·16 (the 2 a uniform, so the loads stay in the loop)
// and multiply-accumulates all 16 tiles. No storage traffic and no barriers in the loop: what is left is the cost
// of loading operands from workgroup memory, which the probe's `matrix` family (operands in registers) never pays.
// Inputs are multiples of 1/16 (feed.ts), so every partial sum is a multiple of 2^-8 below 2^16: the output is
// exact whatever order the matrix unit sums in.
// Needs `chromium-experimental-subgroup-matrix` (with `subgroups`), `shader-f16` and the f16 → f32 16×16×16
// configuration. THREADS is 4 of the device's largest subgroups (Dawn wants x a multiple of it); where the
// device runs smaller subgroups, those past the fourth only help to fill.
// Versions (one so far):
//   1: 4×4 tiles a subgroup, depth 32 in workgroup memory. On an H100 (2026-12-06, Dawn `webgpu` 0.6.2, `npm run
//      tune`): 205 TFLOP/s at 1056 workgroups × 8192 steps, 203 at × 2048 (the probe's default), 201 at 264 × 2048
//      (one wave, two a multiprocessor), but 92–101 at 256 steps (264 or 1024–1056 workgroups), the depth of a
//      4096³ GEMM: each workgroup pays about 0.2 ms besides its steps (filling, zeroing, storing, starting; which
//      of them is not yet measured). The standalone loop these numbers were first taken with
//      (../shared/gpu/feed.mjs, 'wg', 256 steps) ran at 77–81, and with the offsets' period a constant here the
//      loop was unrolled by it and its loads left the loop (510, the rate with operands in registers).

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
// Tile offsets depend on subgroup_id: uniform within a subgroup, which is all the matrix builtins need.
diagnostic(off, chromium.subgroup_matrix_uniformity);

// Invocations per workgroup: SUBGROUPS of the device's largest subgroups (feed.ts sets it).
override THREADS: u32 = 128u;

// M = N = K = 16: subgroup_matrix_left<T, K, M> is M×K, subgroup_matrix_right<T, N, K> is K×N,
// subgroup_matrix_result<T, N, M> is M×N.
alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

const SUBGROUPS = 4u;               // 2 × 2
const SUBGROUP_ROWS = 64u;          // 4 tiles of 16 down a subgroup's part of the block
const SUBGROUP_COLUMNS = 64u;       // and 4 across
const BM = 128u;                    // rows of the block of A and of the output
const BN = 128u;                    // columns of the block of B and of the output
const BK = 32u;                     // depth of the blocks in workgroup memory
const A_STRIDE = BK + 8u;           // halves per row of aBlock
const B_STRIDE = BN + 8u;           // halves per row of bBlock

struct Params {
  iterations: u32,          // steps: each loads 4 left and 4 right tiles and multiplies all 16 pairs
  blockPairs: u32,          // (A, B) blocks in `a` and `b`
  workgroups: u32,          // workgroups that work: (workgroups, BM, BN) of output
  workgroupsPerRow: u32,    // workgroups in one row of the grid
  // Depth offsets a step cycles through (BK / 16), passed as a uniform: with the period of the offsets a constant, the loop unrolled by it and its loads,
  // loop-invariant, left the loop (510 TFLOP/s on an H100, the rate with operands in registers).
  depths: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// a: (blockPairs, BM, BK) f16, row-major
@group(0) @binding(1) var<storage, read> a: array<f16>;
// b: (blockPairs, BK, BN) f16, row-major
@group(0) @binding(2) var<storage, read> b: array<f16>;
// output: (workgroups, BM, BN) f32, row-major
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

// Every workgroup variable is a whole number of 16 bytes (10240 and 8704): NVIDIA's Vulkan driver packs them one
// after another, and a matrix load from one placed off a 16-byte boundary read its rows early (attention's matrix.wgsl).
var<workgroup> aBlock: array<f16, BM * A_STRIDE>;   // (BM, BK) of A, rows padded to A_STRIDE
var<workgroup> bBlock: array<f16, BK * B_STRIDE>;   // (BK, BN) of B, rows padded to B_STRIDE

// Grid: (workgroupsPerRow, rows, 1); workgroup w = y · workgroupsPerRow + x, w < workgroups, fills block pair
// w mod blockPairs and writes block w of the output. Subgroup s of the first SUBGROUPS owns rows 64·(s / 2)..
// and columns 64·(s mod 2).. of it.
@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32, @builtin(subgroup_id) subgroup: u32) {
  let workgroup = group.y * params.workgroupsPerRow + group.x;
  if (workgroup >= params.workgroups) {
    return;
  }
  let pair = workgroup % params.blockPairs;
  for (var e = thread; e < BM * BK; e += THREADS) {
    aBlock[(e / BK) * A_STRIDE + e % BK] = a[pair * BM * BK + e];
  }
  for (var e = thread; e < BK * BN; e += THREADS) {
    bBlock[(e / BN) * B_STRIDE + e % BN] = b[pair * BK * BN + e];
  }
  workgroupBarrier();
  if (subgroup >= SUBGROUPS) {
    return;
  }
  let row = (subgroup / 2u) * SUBGROUP_ROWS;
  let column = (subgroup % 2u) * SUBGROUP_COLUMNS;
  var c00: Result; var c01: Result; var c02: Result; var c03: Result;
  var c10: Result; var c11: Result; var c12: Result; var c13: Result;
  var c20: Result; var c21: Result; var c22: Result; var c23: Result;
  var c30: Result; var c31: Result; var c32: Result; var c33: Result;
  for (var step = 0u; step < params.iterations; step++) {
    let depth = (step % params.depths) * 16u;
    let a0 = subgroupMatrixLoad<Left, row_major>(&aBlock, row * A_STRIDE + depth, A_STRIDE);
    let a1 = subgroupMatrixLoad<Left, row_major>(&aBlock, (row + 16u) * A_STRIDE + depth, A_STRIDE);
    let a2 = subgroupMatrixLoad<Left, row_major>(&aBlock, (row + 32u) * A_STRIDE + depth, A_STRIDE);
    let a3 = subgroupMatrixLoad<Left, row_major>(&aBlock, (row + 48u) * A_STRIDE + depth, A_STRIDE);
    let b0 = subgroupMatrixLoad<Right, row_major>(&bBlock, depth * B_STRIDE + column, B_STRIDE);
    let b1 = subgroupMatrixLoad<Right, row_major>(&bBlock, depth * B_STRIDE + column + 16u, B_STRIDE);
    let b2 = subgroupMatrixLoad<Right, row_major>(&bBlock, depth * B_STRIDE + column + 32u, B_STRIDE);
    let b3 = subgroupMatrixLoad<Right, row_major>(&bBlock, depth * B_STRIDE + column + 48u, B_STRIDE);
    c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00); c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
    c02 = subgroupMatrixMultiplyAccumulate(a0, b2, c02); c03 = subgroupMatrixMultiplyAccumulate(a0, b3, c03);
    c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10); c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
    c12 = subgroupMatrixMultiplyAccumulate(a1, b2, c12); c13 = subgroupMatrixMultiplyAccumulate(a1, b3, c13);
    c20 = subgroupMatrixMultiplyAccumulate(a2, b0, c20); c21 = subgroupMatrixMultiplyAccumulate(a2, b1, c21);
    c22 = subgroupMatrixMultiplyAccumulate(a2, b2, c22); c23 = subgroupMatrixMultiplyAccumulate(a2, b3, c23);
    c30 = subgroupMatrixMultiplyAccumulate(a3, b0, c30); c31 = subgroupMatrixMultiplyAccumulate(a3, b1, c31);
    c32 = subgroupMatrixMultiplyAccumulate(a3, b2, c32); c33 = subgroupMatrixMultiplyAccumulate(a3, b3, c33);
  }
  // Tile (i, j) of the subgroup at row (workgroup · BM + row + 16i), column (column + 16j) of the output's rows of BN.
  let first = (workgroup * BM + row) * BN + column;
  subgroupMatrixStore<row_major>(&output, first, c00, BN);
  subgroupMatrixStore<row_major>(&output, first + 16u, c01, BN);
  subgroupMatrixStore<row_major>(&output, first + 32u, c02, BN);
  subgroupMatrixStore<row_major>(&output, first + 48u, c03, BN);
  subgroupMatrixStore<row_major>(&output, first + 16u * BN, c10, BN);
  subgroupMatrixStore<row_major>(&output, first + 16u * BN + 16u, c11, BN);
  subgroupMatrixStore<row_major>(&output, first + 16u * BN + 32u, c12, BN);
  subgroupMatrixStore<row_major>(&output, first + 16u * BN + 48u, c13, BN);
  subgroupMatrixStore<row_major>(&output, first + 32u * BN, c20, BN);
  subgroupMatrixStore<row_major>(&output, first + 32u * BN + 16u, c21, BN);
  subgroupMatrixStore<row_major>(&output, first + 32u * BN + 32u, c22, BN);
  subgroupMatrixStore<row_major>(&output, first + 32u * BN + 48u, c23, BN);
  subgroupMatrixStore<row_major>(&output, first + 48u * BN, c30, BN);
  subgroupMatrixStore<row_major>(&output, first + 48u * BN + 16u, c31, BN);
  subgroupMatrixStore<row_major>(&output, first + 48u * BN + 32u, c32, BN);
  subgroupMatrixStore<row_major>(&output, first + 48u * BN + 48u, c33, BN);
}
