// Copy, read + write, in 16-byte words: the probe's copy bandwidth.
// Versions (one kept):
//   1: one word per thread, no loop, a 2-D grid. On an H100 (2026-11-22, 1 GiB) it ran at 3.00 TB/s, as fast
//      as torch's copy; a grid-stride loop loading 1–4 words per thread before storing them ran at 1.65–1.69.

override WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(0) var<storage, read> source: array<vec4u>;             // (words) 16-byte words
@group(0) @binding(1) var<storage, read_write> destination: array<vec4u>;  // (words) 16-byte words

// Grid: (x, y, 1) workgroups with x * y * WORKGROUP_SIZE >= words; word i = y * (x * WORKGROUP_SIZE) + x-index.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * WORKGROUP_SIZE + id.x;
  if (i < arrayLength(&source)) {
    destination[i] = source[i];
  }
}
