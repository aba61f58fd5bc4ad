// GEMM version 3: C = op(A)·op(B) [+ scale·A2·B2] with f16 inputs and output, f32 accumulators, on the matrix
// units (tensor cores) through subgroup matrices (16×16×16, f16 → f32). Operands and shapes as in tiled.wgsl;
// gemm.ts appends the tile constants, the walk over K (blocks.wgsl) and the storage access (access.ts, E = f16).
// A workgroup owns a BM×BN block of C: SG_M×SG_N subgroups, each with FRAG_M×FRAG_N result tiles of 16×16.
// K is walked BK at a time: each block of op(A) and op(B) goes into workgroup memory (row-major, rows padded
// against bank conflicts), and each subgroup loads its left and right tiles from there. Where an operand (A, B,
// A2 or B2) is stored as its product reads it (untransposed, rows of whole 16 bytes; A2 only at scale 1) and the
// block lies inside it, the subgroups copy it tile by tile with matrix loads straight from storage; elsewhere
// (edges, transposes, a scaled A2) the workgroup's threads stage it four values at a time with zeros past the
// edges. Results leave through a 16×16 f32 scratch per subgroup, so edges are guarded and values rounded to f16
// as they are written.
// THREADS is SG_M·SG_N of the device's largest subgroups (Dawn wants x a multiple of it); where the
// device runs smaller subgroups, those past SG_M·SG_N only help to stage. Grid: (ceil(n / BN), ceil(m / BM), splits).
// On an H200 (2026-12-04, Dawn `webgpu` 0.6.2, the GEMM lab): 34.0, 54.6 and 65.7 TFLOP/s at 1024³, 2048³ and
// 4096³: 10.2% of the matrix units' 642 TFLOP/s the probe measured, 0.12× of PyTorch's fp16 GEMM (565) in the same
// session; at 4096³ with Bᵀ 38.8 and with Aᵀ 33.7 (staged; earlier that day); 66.1 with a second product as deep
// as the first, both copied. Copying with matrix loads is what gained: the earlier
// kernel, whose threads staged every block, ran at 41.2 on 2026-11-29. Tried at 4096³ with a variant that fetched the next block's
// tiles into registers while multiplying: 2×2 subgroups of 4×4 tiles (the default: 128×128 blocks, BK 32) and
// 2×4 of 4×4 both 67, 99 with Dawn's bounds checks off; 2×4 of 4×2, BK 16 and BK 64 slower. Those timings, after
// a 0.1 s warm-up, varied up to fivefold from run to run (the clock), so only the repeated ones are kept here.
// Tiles loaded column-major from storage (for Bᵀ) ran at 16, so transposed operands stay staged.
// With Dawn's bounds checks off this kernel ran at 87.9 (2026-12-04): Tint guards every matrix load and store
// whose offset is not a constant with a branch. Guarding only the loads from storage (the workgroup tiles
// addressed with literal offsets, one branch of code per subgroup) ran at 51.8, slower than guarding them all.
// Swept on an H100 (2026-12-06, `npm run tune`, 4096³, median of 10; bk 32): 2×2 subgroups of 4×4 tiles (the
// defaults) 2.04 ms, 67.4 TFLOP/s: 0.84 of the 80.5 of the standalone feed loop (../shared/gpu/feed.mjs) and 0.33
// of the 203 the probe's feed kernel reached in a longer loop (src/kernels/feed: the same loop at this GEMM's 256
// steps a workgroup ran at 92–101, so a fixed cost a workgroup, not the loads, halves it); 2×2
// of 2×4 2.97, of 4×2 3.07, of 2×2 3.42; 2×4 subgroups of 2×2 3.09, of 2×4 3.38 (the sweep's other 26 variants
// ran out of its time: each took about 25 s, most of it converting the inputs to f16, since made 20–40× faster).
// Again on an H100 (2026-12-06, `npm run tune`, 4096³, the defaults, median of 5): 2.03 ms (67.8 TFLOP/s), and 1.50
// (91.4) with Dawn's robustness off (`disable_robustness`): the bounds checks cost a quarter of the time, as on the
// H200. Every block staged by threads instead (the `copy` knob at 0, plain loads that need no branch): 4.61 ms, and
// 4.32 without the checks; so staging is slow for its own sake, and the blocks stay copied.

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
// Tile offsets depend on subgroup_id: uniform within a subgroup, which is all the matrix builtins need.
diagnostic(off, chromium.subgroup_matrix_uniformity);

override TRANS_A: bool = false;
override TRANS_B: bool = false;

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;

const SUBGROUPS = SG_M * SG_N;
const BK4 = BK / 4u;
const BN4 = BN / 4u;
const BM4 = BM / 4u;
const BK16 = BK / 16u;
const BN16 = BN / 16u;
const A_STRIDE = BK + 8u;   // halves per staged row of op(A)
const B_STRIDE = BN + 8u;   // halves per staged row of op(B)
// vec4 loads per block of A and of B
const VECS_A = BM * BK4;
const VECS_B = BK * BN4;

var<workgroup> aTile: array<f16, BM * A_STRIDE>;        // (BM, BK) of op(A)
var<workgroup> bTile: array<f16, BK * B_STRIDE>;        // (BK, BN) of op(B)
var<workgroup> scratch: array<f32, SUBGROUPS * 256u>;   // one 16×16 result per subgroup on its way out

// Vector e of block `k0` of product p (0: op(A)·op(B), 1: A2·B2), as stored: along K unless the operand is
// stored the other way (A transposed runs along M, B untransposed along N).
fn fetchA(p: u32, k0: u32, rowBase: u32, e: u32) -> vec4<f16> {
  if (p == 1u) {
    return read4_a2(rowBase + e / BK4, k0 + 4u * (e % BK4), shape.m, shape.k2) * f16(shape.scale);
  } else if (TRANS_A) {
    return read4_a(k0 + e / BM4, rowBase + 4u * (e % BM4), shape.k, shape.m);
  }
  return read4_a(rowBase + e / BK4, k0 + 4u * (e % BK4), shape.m, shape.k);
}

fn fetchB(p: u32, k0: u32, colBase: u32, e: u32) -> vec4<f16> {
  if (p == 1u) {
    return read4_b2(k0 + e / BN4, colBase + 4u * (e % BN4), shape.k2, shape.n);
  } else if (TRANS_B) {
    return read4_b(colBase + e / BK4, k0 + 4u * (e % BK4), shape.n, shape.k);
  }
  return read4_b(k0 + e / BN4, colBase + 4u * (e % BN4), shape.k, shape.n);
}

// Vector e of the block into workgroup memory, its four halves in a row of the tile (or a column, where the
// operand is stored the other way).
fn stageA(p: u32, e: u32, v: vec4<f16>) {
  if (TRANS_A && p == 0u) {
    let kk = e / BM4;
    let row = 4u * (e % BM4);
    for (var i = 0u; i < 4u; i++) {
      aTile[(row + i) * A_STRIDE + kk] = v[i];
    }
  } else {
    let base = (e / BK4) * A_STRIDE + 4u * (e % BK4);
    for (var i = 0u; i < 4u; i++) {
      aTile[base + i] = v[i];
    }
  }
}

fn stageB(p: u32, e: u32, v: vec4<f16>) {
  if (TRANS_B && p == 0u) {
    let col = e / BK4;
    let kk = 4u * (e % BK4);
    for (var i = 0u; i < 4u; i++) {
      bTile[(kk + i) * B_STRIDE + col] = v[i];
    }
  } else {
    let base = (e / BN4) * B_STRIDE + 4u * (e % BN4);
    for (var i = 0u; i < 4u; i++) {
      bTile[base + i] = v[i];
    }
  }
}

// Whether block `k0` of product p lies wholly inside op(A) (rows rowBase.., K k0..), likewise op(B): where it does,
// and the operand is copied (gemm.ts's LOAD), it is copied; the rest (the edges) is staged.
fn depthOf(p: u32) -> u32 {
  return select(shape.k, shape.k2, p == 1u);
}

fn insideA(p: u32, k0: u32, rowBase: u32) -> bool {
  return rowBase + BM <= shape.m && k0 + BK <= depthOf(p);
}

fn insideB(p: u32, k0: u32, colBase: u32) -> bool {
  return colBase + BN <= shape.n && k0 + BK <= depthOf(p);
}

// Tile i of block `k0` of A (untransposed; row-major in tiles of 16×16, BK / 16 a row), straight from A; likewise
// of B, A2 and B2.
fn tileA(i: u32, k0: u32, rowBase: u32) -> Left {
  let row = rowBase + 16u * (i / BK16);
  return subgroupMatrixLoad<Left, row_major>(&a, (entry * shape.m + row) * shape.k + k0 + 16u * (i % BK16), shape.k);
}

fn tileB(i: u32, k0: u32, colBase: u32) -> Right {
  let kk = k0 + 16u * (i / BN16);
  return subgroupMatrixLoad<Right, row_major>(&b, (entry * shape.k + kk) * shape.n + colBase + 16u * (i % BN16), shape.n);
}

fn tileA2(i: u32, k0: u32, rowBase: u32) -> Left {
  let row = rowBase + 16u * (i / BK16);
  return subgroupMatrixLoad<Left, row_major>(&a2, (entry * shape.m + row) * shape.k2 + k0 + 16u * (i % BK16), shape.k2);
}

fn tileB2(i: u32, k0: u32, colBase: u32) -> Right {
  let kk = k0 + 16u * (i / BN16);
  return subgroupMatrixLoad<Right, row_major>(&b2, (entry * shape.k2 + kk) * shape.n + colBase + 16u * (i % BN16), shape.n);
}

fn putA(i: u32, tile: Left) {
  subgroupMatrixStore<row_major>(&aTile, 16u * (i / BK16) * A_STRIDE + 16u * (i % BK16), tile, A_STRIDE);
}

fn putB(i: u32, tile: Right) {
  subgroupMatrixStore<row_major>(&bTile, 16u * (i / BN16) * B_STRIDE + 16u * (i % BN16), tile, B_STRIDE);
}

// gemm.ts writes the body's generated parts, straight-line code over named values (arrays of subgroup matrices
// indexed in loops were copied whole on every multiply-accumulate):
//   DECLARE: var acc_i_j: Result for the FRAG_M×FRAG_N tiles;
//   LOAD(p, k0): for each operand of product p, where it is copied (stored as op() reads it, untransposed, with
//     rows of whole 16 bytes; A2 only at scale 1) and the block lies inside it, each subgroup copies its tiles
//     i = subgroup + SUBGROUPS·l with matrix loads, putA(i, tileA(i, k0, rowBase)); otherwise the threads stage
//     it, stageA(p, e, fetchA(p, k0, rowBase, e)) for the vectors e each stages (transposed tiles loaded
//     column-major ran at a third of the speed on an H200). An operand never copied is never loaded as tiles;
//   MULTIPLY(kk): load left_i and right_j from the staged blocks at kk and multiply-accumulate every acc_i_j,
//     skipping the rows of tiles that lie wholly below C (row tile i where rowBase + fragRow + 16i >= m);
//   STORE: each tile out through the scratch (storeTile), with the workgroup's barriers between.
@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(local_invocation_index) thread: u32,
  @builtin(subgroup_id) subgroup: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) lanes: u32,
) {
  let rowBase = group.y * BM;
  let colBase = group.x * BN;
  let works = subgroup < SUBGROUPS;
  let fragRow = (subgroup / SG_N) * FRAG_M * 16u;   // within the block
  let fragCol = (subgroup % SG_N) * FRAG_N * 16u;
  enter(group.z);
  let slice = sliceOf(group.z);
  let base = group.z * shape.m * shape.n;
  //DECLARE
  for (var t = slice.first; t < slice.end; t++) {
    let p = productOf(t);
    let k0 = blockStart(t, p);
    //LOAD
    workgroupBarrier();
    if (works) {
      for (var kk = 0u; kk < BK; kk += 16u) {
        //MULTIPLY
      }
    }
    workgroupBarrier();
  }
  //STORE
}

// One tile out: stored into the subgroup's scratch, then written by its lanes four values at a time.
fn storeTile(works: bool, subgroup: u32, lane: u32, lanes: u32, base: u32, row: u32, col: u32) {
  if (works) {
    for (var v = lane; v < 64u; v += lanes) {
      let r = v / 4u;
      let q = 4u * (v % 4u);
      let at = subgroup * 256u + r * 16u + q;
      write4_c(base, row + r, col + q, vec4f(scratch[at], scratch[at + 1u], scratch[at + 2u], scratch[at + 3u]));
    }
  }
}
