// The second dispatch of split-K (gemv.wgsl): y[b, c] = Σ_s partial[s, b, c], dropping the padded outputs.
// gemv.ts prepends the constants BATCH, WORKGROUP and VECS.

struct Shape {
  dIn: u32,
  dOut: u32,
  rowWords: u32,
  rowsPerSplit: u32,
  splits: u32,
  threshold: f32,
}

@group(0) @binding(0) var<uniform> shape: Shape;
// partial: (splits, BATCH, rowWords·VECS) vec4f
@group(0) @binding(1) var<storage, read> partial: array<vec4f>;
// y: (BATCH, dOut) f32
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// grid: (ceil(rowWords·VECS / WORKGROUP), BATCH)
@compute @workgroup_size(WORKGROUP)
fn reduce(@builtin(global_invocation_id) id: vec3u) {
  let rowVecs = shape.rowWords * VECS;
  let vec = id.x;
  let b = id.y;
  if (vec >= rowVecs) {
    return;
  }
  var sum = vec4f(0.0);
  for (var s = 0u; s < shape.splits; s++) {
    sum += partial[(s * BATCH + b) * rowVecs + vec];
  }
  for (var j = 0u; j < 4u; j++) {
    let column = vec * 4u + j;
    if (column < shape.dOut) {
      y[b * shape.dOut + column] = sum[j];
    }
  }
}
