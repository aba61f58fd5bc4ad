// Fills a K or V buffer (or weights) with hashed values: element i is hashValue(i ^ seed) · scale, a multiple of
// 2^-10 in [-1, 1) times a power of two, exact in f16, so f32 and f16 buffers hold the same numbers and hashed.ts
// can recompute any slice on the CPU to check against. Filling on the GPU keeps multi-GB buffers off the CPU.

struct Fill {
  seed: u32,
  // 1: pack two f16 per word; 0: one f32 per word
  half: u32,
  words: u32,
  // words per row of the grid (65535 workgroups × 256 at most)
  rowWords: u32,
  // a power of two, so scaled values stay exact in f16
  scale: f32,
}

// out: (words) u32, the cache's bytes
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> fill: Fill;

// A 32-bit integer hash (the PCG output permutation on a linear congruential step).
fn hash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn hashValue(i: u32) -> f32 {
  return (f32(hash(i ^ fill.seed) >> 21u) / 1024.0 - 1.0) * fill.scale;
}

// Grid: (min(65535, ⌈words/256⌉), ⌈words/rowWords⌉).
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.y * fill.rowWords + id.x;
  if (i >= fill.words) {
    return;
  }
  if (fill.half == 1u) {
    out[i] = pack2x16float(vec2f(hashValue(2u * i), hashValue(2u * i + 1u)));
  } else {
    out[i] = bitcast<u32>(hashValue(i));
  }
}
