// y = W·x for a few tokens, with W stored transposed (TEAL's layout): row i of Wᵀ holds the weights from
// input channel i to every output, so the rows that x's surviving entries select are contiguous.
// gemv.ts prepends the constants BATCH and WORKGROUP and one weights-*.wgsl (WeightWord, VECS, unpackWord).
//
// Versions, simplest first:
//   dense:  split-K. Workgroup (g, s) owns WORKGROUP·VECS vec4 columns and the rows of split s; each thread
//           reads one 16-byte word of each row (coalesced along d_out), four rows in flight, and writes its
//           partial sums; `reduce` adds the splits in a second dispatch of the same pass.
//   sparse: TEAL's kernel. The same grid, but each workgroup first compacts the rows of its split whose
//           |x| > threshold for some token into workgroup memory (in row order, so sums are deterministic),
//           then reads only those rows of Wᵀ. Entries at or below the threshold count as zero for their token.
//   reduce: y[b, c] = Σ_s partial[s, b, c].

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
// weights: Wᵀ, (dIn, rowWords) words, each word 4·VECS consecutive outputs.
@group(0) @binding(1) var<storage, read> weights: array<WeightWord>;
// x: (BATCH, dIn) f32
@group(0) @binding(2) var<storage, read> x: array<f32>;
// partial: (splits, BATCH, rowWords·VECS) vec4f, the padded outputs of each split.
@group(0) @binding(3) var<storage, read_write> partial: array<vec4f>;

// sparse: the current piece's surviving rows, in row order, and their x for each token (0 below the threshold).
var<workgroup> keepBits: array<atomic<u32>, WORKGROUP / 32u>;
var<workgroup> survivorRows: array<u32, WORKGROUP>;
// survivorX: (WORKGROUP, BATCH) f32
var<workgroup> survivorX: array<f32, WORKGROUP * BATCH>;

fn accumulate(acc: ptr<function, array<vec4f, BATCH * VECS>>, row: u32, word: u32, xs: array<f32, BATCH>) {
  let w = unpackWord(weights[row * shape.rowWords + word]);
  for (var b = 0u; b < BATCH; b++) {
    for (var v = 0u; v < VECS; v++) {
      (*acc)[b * VECS + v] = fma(vec4f(xs[b]), w[v], (*acc)[b * VECS + v]);
    }
  }
}

fn denseX(row: u32) -> array<f32, BATCH> {
  var xs: array<f32, BATCH>;
  for (var b = 0u; b < BATCH; b++) {
    xs[b] = x[b * shape.dIn + row];
  }
  return xs;
}

fn survivorXs(k: u32) -> array<f32, BATCH> {
  var xs: array<f32, BATCH>;
  for (var b = 0u; b < BATCH; b++) {
    xs[b] = survivorX[k * BATCH + b];
  }
  return xs;
}

fn storePartial(acc: array<vec4f, BATCH * VECS>, split: u32, word: u32) {
  let rowVecs = shape.rowWords * VECS;
  for (var b = 0u; b < BATCH; b++) {
    for (var v = 0u; v < VECS; v++) {
      partial[(split * BATCH + b) * rowVecs + word * VECS + v] = acc[b * VECS + v];
    }
  }
}

// grid: (ceil(rowWords / WORKGROUP), splits)
@compute @workgroup_size(WORKGROUP)
fn dense(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let word = group.x * WORKGROUP + lane;
  if (word >= shape.rowWords) {
    return;
  }
  let split = group.y;
  let first = split * shape.rowsPerSplit;
  let end = min(first + shape.rowsPerSplit, shape.dIn);
  var acc: array<vec4f, BATCH * VECS>;
  var row = first;
  for (; row + 4u <= end; row += 4u) {
    let w0 = unpackWord(weights[row * shape.rowWords + word]);
    let w1 = unpackWord(weights[(row + 1u) * shape.rowWords + word]);
    let w2 = unpackWord(weights[(row + 2u) * shape.rowWords + word]);
    let w3 = unpackWord(weights[(row + 3u) * shape.rowWords + word]);
    for (var b = 0u; b < BATCH; b++) {
      let at = b * shape.dIn + row;
      for (var v = 0u; v < VECS; v++) {
        var sum = acc[b * VECS + v];
        sum = fma(vec4f(x[at]), w0[v], sum);
        sum = fma(vec4f(x[at + 1u]), w1[v], sum);
        sum = fma(vec4f(x[at + 2u]), w2[v], sum);
        sum = fma(vec4f(x[at + 3u]), w3[v], sum);
        acc[b * VECS + v] = sum;
      }
    }
  }
  for (; row < end; row++) {
    accumulate(&acc, row, word, denseX(row));
  }
  storePartial(acc, split, word);
}

// grid: (ceil(rowWords / WORKGROUP), splits)
@compute @workgroup_size(WORKGROUP)
fn sparse(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let word = group.x * WORKGROUP + lane;
  let hasWord = word < shape.rowWords;
  let split = group.y;
  let first = split * shape.rowsPerSplit;
  let end = min(first + shape.rowsPerSplit, shape.dIn);
  var acc: array<vec4f, BATCH * VECS>;
  for (var start = first; start < end; start += WORKGROUP) {
    // Flag this thread's row of the piece.
    let row = start + lane;
    var xs: array<f32, BATCH>;
    var keep = false;
    if (row < end) {
      for (var b = 0u; b < BATCH; b++) {
        let value = x[b * shape.dIn + row];
        let survives = abs(value) > shape.threshold;
        xs[b] = select(0.0, value, survives);
        keep = keep || survives;
      }
    }
    let bit = 1u << (lane % 32u);
    if (keep) {
      atomicOr(&keepBits[lane / 32u], bit);
    }
    workgroupBarrier();
    // Its place among the survivors: the kept rows before it, counted from the bit words.
    var before = 0u;
    var count = 0u;
    for (var i = 0u; i < WORKGROUP / 32u; i++) {
      let bits = atomicLoad(&keepBits[i]);
      count += countOneBits(bits);
      if (i < lane / 32u) {
        before += countOneBits(bits);
      } else if (i == lane / 32u) {
        before += countOneBits(bits & (bit - 1u));
      }
    }
    if (keep) {
      survivorRows[before] = row;
      for (var b = 0u; b < BATCH; b++) {
        survivorX[before * BATCH + b] = xs[b];
      }
    }
    workgroupBarrier();
    if (lane < WORKGROUP / 32u) {
      atomicStore(&keepBits[lane], 0u);
    }
    if (hasWord) {
      var k = 0u;
      for (; k + 4u <= count; k += 4u) {
        let w0 = unpackWord(weights[survivorRows[k] * shape.rowWords + word]);
        let w1 = unpackWord(weights[survivorRows[k + 1u] * shape.rowWords + word]);
        let w2 = unpackWord(weights[survivorRows[k + 2u] * shape.rowWords + word]);
        let w3 = unpackWord(weights[survivorRows[k + 3u] * shape.rowWords + word]);
        for (var b = 0u; b < BATCH; b++) {
          for (var v = 0u; v < VECS; v++) {
            var sum = acc[b * VECS + v];
            sum = fma(vec4f(survivorX[k * BATCH + b]), w0[v], sum);
            sum = fma(vec4f(survivorX[(k + 1u) * BATCH + b]), w1[v], sum);
            sum = fma(vec4f(survivorX[(k + 2u) * BATCH + b]), w2[v], sum);
            sum = fma(vec4f(survivorX[(k + 3u) * BATCH + b]), w3[v], sum);
            acc[b * VECS + v] = sum;
          }
        }
      }
      for (; k < count; k++) {
        accumulate(&acc, survivorRows[k], word, survivorXs(k));
      }
    }
    workgroupBarrier();
  }
  if (hasWord) {
    storePartial(acc, split, word);
  }
}
