// The uniform both gemv.wgsl and reduce.wgsl read; gemv.ts prepends this file to each, after the constants.
struct Shape {
  dIn: u32,
  dOut: u32,
  // 16-byte words per row of Wᵀ: rows are padded with zeros to a whole word.
  rowWords: u32,
  rowsPerSplit: u32,
  splits: u32,
  // sparse: a row is read when |x[b, i]| > threshold for some token b.
  threshold: f32,
}

@group(0) @binding(0) var<uniform> shape: Shape;
