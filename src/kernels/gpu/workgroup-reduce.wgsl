// The max or the sum of one value a thread across a workgroup of THREADS threads (a power of two; the kernel that
// appends this file defines it), by halving through workgroup memory. Every thread gets the result; call it from
// uniform control flow, since it waits at the workgroup's barriers.

var<workgroup> partial: array<f32, THREADS>;

fn reduce(thread: u32, value: f32, useMax: bool) -> f32 {
  partial[thread] = value;
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      let other = partial[thread + stride];
      partial[thread] = select(partial[thread] + other, max(partial[thread], other), useMax);
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}
