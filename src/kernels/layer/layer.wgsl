// The small kernels of a decoder layer's decode step, between its matrix-vector products (src/kernels/gemv) and
// its attention (src/kernels/decode): each an entry point over rows of `batch` tokens, activations in f32.
//   rmsnorm:     out[r] = a[r] / sqrt(mean(a[r]²) + eps) · b          (b: the norm's weights; one workgroup a row)
//   add:         out = a + b                                           (the residual adds)
//   siluMul:     out[r, i] = silu(a[r, i]) · a[r, width + i]          (a: gate and up side by side; width = inner)
//   ropeAppend:  a[r] holds q, k and v of every head side by side (the fused QKV product); with bias b added,
//                q and k rotated by the rotary table for position `pos`, q to out, k and v into the caches at
//                `pos` (f16, two values a word, or f32), laid out (batch, kvHeads, cacheLen, headDim) as the decode
//                kernel reads them. Rotation pairs element e with e ± headDim/2 (the convention of Llama's code).
// workgroup-reduce.wgsl is appended (THREADS below).

struct Params {
  batch: u32,
  width: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  pos: u32,
  cacheLen: u32,
  // 1: the caches hold f16 (two a word); 0: f32
  kvHalf: u32,
  eps: f32,
  // workgroups along x of a 2-D grid (grid2d)
  gridX: u32,
}

const THREADS = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// ropeAppend: the rotary table for `pos`, (headDim / 2) of (cos, sin)
@group(0) @binding(4) var<storage, read> rotary: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> cacheK: array<u32>;
@group(0) @binding(6) var<storage, read_write> cacheV: array<u32>;

fn index2d(group: vec3u, local: u32) -> u32 {
  return (group.y * p.gridX + group.x) * THREADS + local;
}

@compute @workgroup_size(THREADS)
fn rmsnorm(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let row = group.x * p.width;
  var squares = 0.0;
  for (var i = thread; i < p.width; i += THREADS) {
    squares += a[row + i] * a[row + i];
  }
  let scale = inverseSqrt(reduce(thread, squares, false) / f32(p.width) + p.eps);
  for (var i = thread; i < p.width; i += THREADS) {
    out[row + i] = a[row + i] * scale * b[i];
  }
}

@compute @workgroup_size(THREADS)
fn add(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = index2d(group, thread);
  if (i < p.batch * p.width) {
    out[i] = a[i] + b[i];
  }
}

@compute @workgroup_size(THREADS)
fn siluMul(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let i = index2d(group, thread);
  if (i < p.batch * p.width) {
    let r = i / p.width;
    let gate = a[r * 2u * p.width + i % p.width];
    out[i] = gate / (1.0 + exp(-gate)) * a[r * 2u * p.width + p.width + i % p.width];
  }
}

// Element e of head `head` of row r of the fused product, bias added.
fn fused(r: u32, head: u32, e: u32) -> f32 {
  let at = head * p.headDim + e;
  return a[r * (p.heads + 2u * p.kvHeads) * p.headDim + at] + b[at];
}

fn rotated(r: u32, head: u32, e: u32) -> f32 {
  let halfDim = p.headDim / 2u;
  let cs = rotary[e % halfDim];
  if (e < halfDim) {
    return fused(r, head, e) * cs.x - fused(r, head, e + halfDim) * cs.y;
  }
  return fused(r, head, e) * cs.x + fused(r, head, e - halfDim) * cs.y;
}

fn store(cache: u32, at: u32, pair: vec2f) {
  // `at` is even: f16 packs the pair into one word, f32 takes two.
  if (p.kvHalf == 1u) {
    if (cache == 0u) {
      cacheK[at / 2u] = pack2x16float(pair);
    } else {
      cacheV[at / 2u] = pack2x16float(pair);
    }
  } else if (cache == 0u) {
    cacheK[at] = bitcast<u32>(pair.x);
    cacheK[at + 1u] = bitcast<u32>(pair.y);
  } else {
    cacheV[at] = bitcast<u32>(pair.x);
    cacheV[at + 1u] = bitcast<u32>(pair.y);
  }
}

// One thread a (row, head, pair of adjacent elements) over the heads of q, then k, then v.
@compute @workgroup_size(THREADS)
fn ropeAppend(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) thread: u32) {
  let pairs = p.headDim / 2u;
  let headsAll = p.heads + 2u * p.kvHeads;
  let i = index2d(group, thread);
  if (i >= p.batch * headsAll * pairs) {
    return;
  }
  let r = i / (headsAll * pairs);
  let head = (i / pairs) % headsAll;
  let e = 2u * (i % pairs);
  if (head < p.heads) {
    let at = (r * p.heads + head) * p.headDim + e;
    out[at] = rotated(r, head, e);
    out[at + 1u] = rotated(r, head, e + 1u);
    return;
  }
  let isValue = head >= p.heads + p.kvHeads;
  let kvHead = select(head - p.heads, head - p.heads - p.kvHeads, isValue);
  let at = ((r * p.kvHeads + kvHead) * p.cacheLen + p.pos) * p.headDim + e;
  if (isValue) {
    store(1u, at, vec2f(fused(r, head, e), fused(r, head, e + 1u)));
  } else {
    store(0u, at, vec2f(rotated(r, head, e), rotated(r, head, e + 1u)));
  }
}
