// Read-only streaming, in 16-byte words: the probe's read bandwidth. Each workgroup sums a contiguous block of
// WORKGROUP_SIZE × WORDS_PER_THREAD words and writes that one f32, so the writes are a tiny share of the bytes.
// Loads are coalesced as in the copy: on each of its WORDS_PER_THREAD steps a workgroup reads WORKGROUP_SIZE
// consecutive words, one per thread.

override WORKGROUP_SIZE: u32 = 256u;   // a power of two (the tree reduction halves it)
override WORDS_PER_THREAD: u32 = 4u;

@group(0) @binding(0) var<storage, read> source: array<vec4f>;          // (words) 16-byte words of 4 f32
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;    // (blocks) f32: each block's sum

var<workgroup> sums: array<f32, WORKGROUP_SIZE>;                        // (WORKGROUP_SIZE) f32: per-thread sums

// Grid: (x, y, 1) workgroups with x * y >= blocks; block g = y * x + x-index covers words
// [g * WORKGROUP_SIZE * WORDS_PER_THREAD, (g + 1) * WORKGROUP_SIZE * WORDS_PER_THREAD).
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lane: u32, @builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let block = group.y * groups.x + group.x;
  let first = block * WORKGROUP_SIZE * WORDS_PER_THREAD + lane;
  let words = arrayLength(&source);
  var sum = vec4f(0.0);
  for (var k = 0u; k < WORDS_PER_THREAD; k++) {
    let i = first + k * WORKGROUP_SIZE;
    if (i < words) {
      sum += source[i];
    }
  }
  sums[lane] = (sum.x + sum.y) + (sum.z + sum.w);
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      sums[lane] += sums[lane + stride];
    }
    workgroupBarrier();
  }
  if (lane == 0u && block < arrayLength(&partials)) {
    partials[block] = sums[0];
  }
}
