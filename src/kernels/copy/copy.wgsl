// Copy, read + write, in 16-byte words: the probe's copy bandwidth.
// Versions (one so far):
//   1: grid-stride; each thread loads VEC4_PER_THREAD words, `threads` apart so a warp's accesses
//      are contiguous, before it stores any, so several loads are in flight per thread.
// VEC4_PER_THREAD is set by copy.ts (copyShader) before the module is built.

override WORKGROUP_SIZE: u32 = 256u;
const VEC4_PER_THREAD = 4u;

@group(0) @binding(0) var<storage, read> source: array<vec4u>;             // (words) 16-byte words
@group(0) @binding(1) var<storage, read_write> destination: array<vec4u>;  // (words) 16-byte words

// Grid: (workgroups, 1, 1), any count; the loop covers every word.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let words = arrayLength(&source);
  let threads = groups.x * WORKGROUP_SIZE;
  var values: array<vec4u, VEC4_PER_THREAD>;
  for (var base = id.x; base < words; base += threads * VEC4_PER_THREAD) {
    for (var k = 0u; k < VEC4_PER_THREAD; k++) {
      let i = base + k * threads;
      if (i < words) {
        values[k] = source[i];
      }
    }
    for (var k = 0u; k < VEC4_PER_THREAD; k++) {
      let i = base + k * threads;
      if (i < words) {
        destination[i] = values[k];
      }
    }
  }
}
