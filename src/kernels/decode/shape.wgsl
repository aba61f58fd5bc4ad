// The shape uniform both passes of flash-decoding read (decode.ts writes it in shapeUniform).
struct Shape {
  seqLen: u32,
  kvHeads: u32,
  queryHeads: u32,
  splits: u32,
  // rows of the KV cache per split
  chunkLen: u32,
  // log2(e) / sqrt(d): scores come out in log2 units, ready for exp2
  scaleLog2: f32,
}

@group(0) @binding(0) var<uniform> shape: Shape;
