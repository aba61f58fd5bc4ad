// The walk over K that tiled.wgsl and matrix.wgsl share (gemm.ts appends it to both): the shape, the batch entry
// a workgroup works on, and which blocks of BK it takes. A batch is `batch` GEMMs of one shape, each operand's
// entries stacked one after another (entry e of A at e·m·k, and so on). Blocks 0..blocksA()-1 are op(A)·op(B)'s,
// the rest A2·B2's. Grid z is split·batch + entry: with K split across workgroups (`splits` runs), workgroup z
// takes its split's run of blocks and writes its partial C at z·m·n, for elementwise.wgsl's reduce to sum.

struct Shape {
  m: u32,
  n: u32,
  k: u32,
  k2: u32,
  scale: f32,
  splits: u32,
  batch: u32,
}

@group(0) @binding(0) var<uniform> shape: Shape;

// This workgroup's batch entry, set by main (enter) before anything is read: access.ts's reads offset by it.
var<private> entry: u32;

fn enter(z: u32) {
  entry = z % shape.batch;
}

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
  let first = min((z / shape.batch) * per, total);
  let end = min(first + per, total);
  let p = productOf(first);
  return Slice(first, end, p, blockStart(first, p));
}
