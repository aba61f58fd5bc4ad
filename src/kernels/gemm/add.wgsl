// y = y + scale·x, elementwise, in f32 (gemm.ts prepends the element type E): the add that an unfused chain of
// GEMMs needs where an epilogue would have done it. Grid: 2-D over ceil(count / 256) workgroups (grid2d).

struct Params {
  count: u32,
  workgroupsPerRow: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read_write> y: array<E>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = (group.y * params.workgroupsPerRow + group.x) * 256u + thread;
  if (i < params.count) {
    y[i] = E(f32(y[i]) + params.scale * f32(x[i]));
  }
}
