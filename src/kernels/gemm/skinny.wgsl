// The tiled and matrix versions' path for a C of a few rows (LoRA's layer at a few tokens): C = A·B [+ scale·A2·B2]
// with A and B untransposed, as ROWS matrix–vector products that share their reads of B. There every weight is
// used once per row of C, so the product is bound by reading B, and 128-row blocks (or the matrix units' 16-row
// tiles) would mostly multiply padding. gemm.ts appends ROWS (= m), BN, BK, the walk over K (blocks.wgsl) and the
// storage access (access.ts) for element E, f32 or f16; sums are f32 either way.
// A workgroup of 256 threads owns BN = 256 columns of C: 64 vec4s of columns, each shared by LANES = 4 threads
// that take BK / 4 consecutive rows of B each per block of K (coalesced along the rows of B, several loads in
// flight). The lanes' sums meet in workgroup memory, one row of C at a time. K is split across workgroups as for
// the other versions, with the partial C summed by elementwise.wgsl's reduce. Grid: (ceil(n / BN), 1, splits).
// On an H200 (2026-12-04, 4096 × 4096 B, K in 32 splits): one row of C in 51 µs in f32 (B read at 1.3 TB/s) and
// 43 µs in f16 (0.78 TB/s), where the 128-row blocks took 92 and 83. Eight rows took 105 and 94 µs, slower than
// the blocks at nine (98 and 92): every thread reads its rows of A again for each vec4 of B. So gemm.ts sends at
// most four rows here. TEAL's matrix–vector kernel (src/kernels/gemv), built for this shape alone, reads W at
// up to 4 TB/s.

const THREADS = 256u;
const LANES = 4u;
const COLS4 = THREADS / LANES;
const PER_LANE = BK / LANES;

var<workgroup> sums: array<vec4f, THREADS>;

// Row `row` of B (p = 0) or B2 (p = 1) at columns col..col+3, zeros past the edges.
fn readB(p: u32, row: u32, col: u32) -> vec4f {
  if (p == 1u) {
    return vec4f(read4_b2(row, col, shape.k2, shape.n));
  }
  return vec4f(read4_b(row, col, shape.k, shape.n));
}

// Row r of A (or A2, scaled) at columns col..col+3 of K, zeros past the edge.
fn readA(p: u32, r: u32, col: u32) -> vec4f {
  if (p == 1u) {
    return vec4f(read4_a2(r, col, shape.m, shape.k2)) * shape.scale;
  }
  return vec4f(read4_a(r, col, shape.m, shape.k));
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let col = group.x * BN + 4u * (thread % COLS4);
  let lane = thread / COLS4;
  enter(group.z);
  let slice = sliceOf(group.z);
  var acc: array<vec4f, ROWS>;
  for (var t = slice.first; t < slice.end; t++) {
    let p = productOf(t);
    let first = blockStart(t, p) + lane * PER_LANE;
    var b: array<vec4f, PER_LANE>;
    for (var i = 0u; i < PER_LANE; i++) {
      b[i] = readB(p, first + i, col);
    }
    for (var r = 0u; r < ROWS; r++) {
      for (var i = 0u; i < PER_LANE; i += 4u) {
        let a = readA(p, r, first + i);
        acc[r] += a.x * b[i] + a.y * b[i + 1u] + a.z * b[i + 2u] + a.w * b[i + 3u];
      }
    }
  }
  let base = group.z * shape.m * shape.n;
  for (var r = 0u; r < ROWS; r++) {
    sums[thread] = acc[r];
    workgroupBarrier();
    if (lane == 0u) {
      write4_c(base, r, col, sums[thread] + sums[thread + COLS4] + sums[thread + 2u * COLS4] + sums[thread + 3u * COLS4]);
    }
    workgroupBarrier();
  }
}
