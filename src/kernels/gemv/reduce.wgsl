// The second dispatch of split-K (gemv.wgsl): y[b, c] = Σ_s partial[s, b, c], dropping the padded outputs.
// gemv.ts prepends the constants BATCH, WORDS, LANES, VECS and UNROLL and shape.wgsl (the Shape uniform, binding 0).

// partial: (splits, BATCH, rowWords·VECS) vec4f
@group(0) @binding(1) var<storage, read> partial: array<vec4f>;
// y: (BATCH, dOut) f32
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// grid: (ceil(rowWords·VECS / 64), BATCH); four splits in flight per thread.
@compute @workgroup_size(64)
fn reduce(@builtin(global_invocation_id) id: vec3u) {
  let rowVecs = shape.rowWords * VECS;
  let vec = id.x;
  let b = id.y;
  if (vec >= rowVecs) {
    return;
  }
  let stride = BATCH * rowVecs;
  let at = b * rowVecs + vec;
  var sums = array<vec4f, 4>();
  var s = 0u;
  for (; s + 4u <= shape.splits; s += 4u) {
    sums[0] += partial[s * stride + at];
    sums[1] += partial[(s + 1u) * stride + at];
    sums[2] += partial[(s + 2u) * stride + at];
    sums[3] += partial[(s + 3u) * stride + at];
  }
  for (; s < shape.splits; s++) {
    sums[0] += partial[s * stride + at];
  }
  let sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
  for (var j = 0u; j < 4u; j++) {
    let column = vec * 4u + j;
    if (column < shape.dOut) {
      y[b * shape.dOut + column] = sum[j];
    }
  }
}
