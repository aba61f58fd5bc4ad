// The walk over K that tiled.wgsl and matrix.wgsl share (gemm.ts appends it to both): the shape, and which blocks
// of BK a workgroup takes. Blocks 0..blocksA()-1 are op(A)·op(B)'s, the rest A2·B2's; with K split across
// workgroups (grid z, `splits` of them), workgroup z takes the z-th run of blocks and writes its partial C at
// z·m·n, for elementwise.wgsl's reduce to sum.

struct Shape {
  m: u32,
  n: u32,
  k: u32,
  k2: u32,
  scale: f32,
  splits: u32,
}

@group(0) @binding(0) var<uniform> shape: Shape;

fn blocksA() -> u32 {
  return (shape.k + BK - 1u) / BK;
}

fn productOf(t: u32) -> u32 {
  return select(0u, 1u, t >= blocksA());
}

// Where block t starts along its product's K.
fn blockStart(t: u32, p: u32) -> u32 {
  return (t - p * blocksA()) * BK;
}

struct Slice {
  first: u32,
  end: u32,
  p: u32,
  k0: u32,
}

// The blocks workgroup z walks: [first, end), possibly none.
fn sliceOf(z: u32) -> Slice {
  let total = blocksA() + (shape.k2 + BK - 1u) / BK;
  let per = (total + shape.splits - 1u) / shape.splits;
  let first = min(z * per, total);
  let end = min(first + per, total);
  let p = productOf(first);
  return Slice(first, end, p, blockStart(first, p));
}
