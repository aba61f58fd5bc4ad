// The GEMMs' elementwise helpers, in f32 over elements of type E (gemm.ts prepends it), one thread an element;
// grid: 2-D over ceil(count / 256) workgroups (grid2d).
//   `reduce`: out[i] = Σ_z x[z·count + i] over `splits` partial sums (a GEMM with K split, blocks.wgsl);
//   `add`: out[i] = out[i] + scale·x[i], the add an unfused chain of GEMMs needs where an epilogue would have done it.

struct Params {
  count: u32,
  workgroupsPerRow: u32,
  splits: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read_write> out: array<E>;

fn elementOf(group: vec3u, thread: u32) -> u32 {
  return (group.y * params.workgroupsPerRow + group.x) * 256u + thread;
}

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = elementOf(group, thread);
  if (i >= params.count) {
    return;
  }
  var sum = 0.0;
  for (var z = 0u; z < params.splits; z++) {
    sum += f32(x[z * params.count + i]);
  }
  out[i] = E(sum);
}

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = elementOf(group, thread);
  if (i < params.count) {
    out[i] = E(f32(out[i]) + params.scale * f32(x[i]));
  }
}
