// The combine pass of flash-decoding: merges the splits of each query head. With M the largest split
// max, a split's weight is exp2(max − M); out = Σ weight·partialOut / Σ weight·sum.
// One workgroup per (query head, batch); its threads share the head's HEAD_DIM outputs.

override HEAD_DIM: u32;
const WORKGROUP = 64u;

// The Shape uniform at binding 0 comes from shape.wgsl, which decode.ts puts before this text.
// partialOut: (batch, queryHeads, splits, HEAD_DIM) f32
@group(0) @binding(1) var<storage, read> partialOut: array<vec4f>;
// partialStats: (batch, queryHeads, splits) of (max score in log2 units, Σ exp2(score − max))
@group(0) @binding(2) var<storage, read> partialStats: array<vec2f>;
// out: (batch, queryHeads, HEAD_DIM) f32
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WORKGROUP)
fn combinePass(@builtin(workgroup_id) workgroup: vec3u, @builtin(local_invocation_index) localIndex: u32) {
  let headVec4 = HEAD_DIM / 4u;
  let head = workgroup.y * shape.queryHeads + workgroup.x;
  let first = head * shape.splits;
  var headMax = partialStats[first].x;
  for (var s = 1u; s < shape.splits; s++) {
    headMax = max(headMax, partialStats[first + s].x);
  }
  var headSum = 0.0;
  for (var s = 0u; s < shape.splits; s++) {
    let stats = partialStats[first + s];
    headSum += exp2(stats.x - headMax) * stats.y;
  }
  for (var c = localIndex; c < headVec4; c += WORKGROUP) {
    var total = vec4f(0.0);
    for (var s = 0u; s < shape.splits; s++) {
      total += exp2(partialStats[first + s].x - headMax) * partialOut[(first + s) * headVec4 + c];
    }
    out[head * headVec4 + c] = total / headSum;
  }
}
