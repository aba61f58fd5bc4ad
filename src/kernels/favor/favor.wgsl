// FAVOR+ (Performers), the steps between its matrix products (favor.ts runs those on the GEMM). f32.
//   `features`: x′ = exp(ωⱼᵀx − ‖x‖²/2 + shift_j − rowMax) / √m in place over the projections ωⱼᵀx (rows × m),
//     with x's rows (rows × d) for ‖x‖². For queries shift_j = ‖ωⱼ‖²/2 and rowMax is the row's largest exponent;
//     for keys shift_j = −‖ωⱼ‖²/2 and rowMax = 0. A query's feature j times a key's is then exactly
//     exp(ωⱼᵀq − ‖q‖²/2) · exp(ωⱼᵀk − ‖k‖²/2) up to the query row's own factor, which the normalization cancels,
//     and no exponent overflows: a key's is −‖k − ωⱼ‖²/2 ≤ 0, a query's at most 0 after its max.
//   `normalize`: o = out[:, :d] / out[:, d], where out = Q′·(K′ᵀ[V | 1]) (rows × (d + 1)).
// One workgroup of 64 threads a row. Grid: 2-D over `rows` workgroups (grid2d).

struct Params {
  rows: u32,
  m: u32,
  d: u32,
  workgroupsPerRow: u32,
  queries: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // features: (rows, d); normalize: (rows, d + 1)
@group(0) @binding(2) var<storage, read> shift: array<f32>;      // (m): ‖ωⱼ‖²/2
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // features: (rows, m) in place; normalize: (rows, d)

const THREADS = 64u;
// reduce(thread, value, useMax): src/kernels/gpu/workgroup-reduce.wgsl, which favor.ts appends.

fn rowOf(group: vec3u) -> u32 {
  return group.y * params.workgroupsPerRow + group.x;
}

@compute @workgroup_size(THREADS)
fn features(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let row = rowOf(group);
  if (row >= params.rows) {
    return;
  }
  var norm = 0.0;
  for (var i = thread; i < params.d; i += THREADS) {
    let value = x[row * params.d + i];
    norm += value * value;
  }
  norm = reduce(thread, norm, false);
  let sign = select(-1.0, 1.0, params.queries != 0u);
  var most = -3.40282e38;
  for (var j = thread; j < params.m; j += THREADS) {
    most = max(most, out[row * params.m + j] - 0.5 * norm + sign * shift[j]);
  }
  most = select(0.0, reduce(thread, most, true), params.queries != 0u);
  let scale = inverseSqrt(f32(params.m));
  for (var j = thread; j < params.m; j += THREADS) {
    let at = row * params.m + j;
    out[at] = exp(out[at] - 0.5 * norm + sign * shift[j] - most) * scale;
  }
}

@compute @workgroup_size(THREADS)
fn normalize(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let row = rowOf(group);
  if (row >= params.rows) {
    return;
  }
  let width = params.d + 1u;
  let denominator = x[row * width + params.d];
  for (var i = thread; i < params.d; i += THREADS) {
    out[row * params.d + i] = x[row * width + i] / denominator;
  }
}
