// Step 2 of naive attention: each row of the scores S (rows × n, f32, row-major, one head's or many heads'
// stacked) becomes softmax(scale·S[row] [+ causal mask]) in place. One workgroup of 256 threads a row: a pass for
// the row's max, one for the sum of exponentials, one to write the probabilities (zeros past the diagonal where
// causal, for row r = the row's index within its head, `row % n`). Grid: 2-D over `rows` workgroups (grid2d).

struct Params {
  rows: u32,
  n: u32,
  workgroupsPerRow: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;

const THREADS = 256u;
// reduce(thread, value, useMax): src/kernels/gpu/workgroup-reduce.wgsl, which attention.ts appends.

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let row = group.y * params.workgroupsPerRow + group.x;
  if (row >= params.rows) {
    return;
  }
  let at = row * params.n;
  let seen = select(params.n, row % params.n + 1u, params.causal != 0u);
  var most = -3.40282e38;
  for (var j = thread; j < seen; j += THREADS) {
    most = max(most, params.scale * scores[at + j]);
  }
  most = reduce(thread, most, true);
  var sum = 0.0;
  for (var j = thread; j < seen; j += THREADS) {
    sum += exp(params.scale * scores[at + j] - most);
  }
  sum = reduce(thread, sum, false);
  for (var j = thread; j < params.n; j += THREADS) {
    scores[at + j] = select(0.0, exp(params.scale * scores[at + j] - most) / sum, j < seen);
  }
}
