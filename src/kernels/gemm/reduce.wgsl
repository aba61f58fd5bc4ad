// The sum of a split GEMM's partials (blocks.wgsl): c[i] = Σ_z partials[z·count + i], accumulated in f32.
// gemm.ts prepends the element type E. Grid: 2-D over ceil(count / 256) workgroups (grid2d).

struct Params {
  count: u32,
  splits: u32,
  workgroupsPerRow: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<E>;
@group(0) @binding(2) var<storage, read_write> c: array<E>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = (group.y * params.workgroupsPerRow + group.x) * 256u + thread;
  if (i >= params.count) {
    return;
  }
  var sum = 0.0;
  for (var z = 0u; z < params.splits; z++) {
    sum += f32(partials[z * params.count + i]);
  }
  c[i] = E(sum);
}
