// y = W·x for a few tokens, with W stored transposed (TEAL's layout): row i of Wᵀ holds the weights from
// input channel i to every output, so the rows that x's surviving entries select are contiguous.
// gemv.ts prepends the constants BATCH, WORDS, LANES and VECS and one weights-*.wgsl (WeightWord, unpackWord).
//
// A workgroup is WORDS × LANES threads: it owns WORDS consecutive 16-byte words of every row (4·VECS outputs
// each, coalesced along d_out) and the rows of one split of d_in, which its LANES lanes share out, four rows
// in flight per thread. The lanes' sums meet in workgroup memory; the splits' sums in a second dispatch,
// which is skipped when one split has enough workgroups along d_out to fill the GPU: they write y themselves.
//
// Versions, simplest first:
//   dense:  every row of the split.
//   sparse: TEAL's kernel. The workgroup sifts its split SURVIVORS rows at a time: it lists the rows whose
//           |x| > threshold for some token in workgroup memory (in row order, so sums are deterministic), then
//           reads only those rows of Wᵀ, the whole list in flight at once. Entries at or below the threshold
//           count as zero for their token.
//   reduce (reduce.wgsl): y[b, c] = Σ_s partial[s, b, c].

const WORKGROUP = WORDS * LANES;
// sparse: rows a workgroup sifts in one round, PIECES of WORKGROUP (gemv.ts keeps WORKGROUP a power of two,
// 64 to 1024), and so the longest list of surviving rows it gathers before it reads them.
const SURVIVORS = 2048u;
const PIECES = SURVIVORS / WORKGROUP;

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
// y: (BATCH, dOut) f32, written here when there is one split.
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// sparse: which of the round's SURVIVORS rows survive, one bit each, and the list of those that do.
var<workgroup> keepBits: array<atomic<u32>, SURVIVORS / 32u>;
var<workgroup> roundBits: array<u32, SURVIVORS / 32u>;
var<workgroup> survivorRows: array<u32, SURVIVORS>;
// laneSums: (LANES, WORDS) vec4f, one (token, vec4) of the accumulators at a time.
var<workgroup> laneSums: array<vec4f, WORKGROUP>;

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

// x[b, row] where it survives the threshold, else 0: a batch reads the union of its tokens' rows.
fn survivingX(b: u32, row: u32) -> f32 {
  let value = x[b * shape.dIn + row];
  return select(0.0, value, abs(value) > shape.threshold);
}

// Adds the LANES lanes' accumulators and stores the workgroup's sums: into y when there is one split, else
// into its split's partial sums. Every thread calls it.
fn finish(acc: array<vec4f, BATCH * VECS>, split: u32, word: u32, column: u32, lane: u32) {
  let rowVecs = shape.rowWords * VECS;
  for (var b = 0u; b < BATCH; b++) {
    for (var v = 0u; v < VECS; v++) {
      laneSums[lane * WORDS + column] = acc[b * VECS + v];
      workgroupBarrier();
      if (lane == 0u && word < shape.rowWords) {
        var total = laneSums[column];
        for (var l = 1u; l < LANES; l++) {
          total += laneSums[l * WORDS + column];
        }
        let vec = word * VECS + v;
        if (shape.splits == 1u) {
          for (var j = 0u; j < 4u; j++) {
            if (vec * 4u + j < shape.dOut) {
              y[b * shape.dOut + vec * 4u + j] = total[j];
            }
          }
        } else {
          partial[(split * BATCH + b) * rowVecs + vec] = total;
        }
      }
      workgroupBarrier();
    }
  }
}

// grid: (ceil(rowWords / WORDS), splits)
@compute @workgroup_size(WORDS, LANES)
fn dense(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let column = local.x;
  let lane = local.y;
  let word = group.x * WORDS + column;
  let split = group.y;
  let first = split * shape.rowsPerSplit;
  let end = min(first + shape.rowsPerSplit, shape.dIn);
  var acc: array<vec4f, BATCH * VECS>;
  if (word < shape.rowWords) {
    var row = first + lane;
    for (; row + 3u * LANES < end; row += 4u * LANES) {
      let w0 = unpackWord(weights[row * shape.rowWords + word]);
      let w1 = unpackWord(weights[(row + LANES) * shape.rowWords + word]);
      let w2 = unpackWord(weights[(row + 2u * LANES) * shape.rowWords + word]);
      let w3 = unpackWord(weights[(row + 3u * LANES) * shape.rowWords + word]);
      for (var b = 0u; b < BATCH; b++) {
        let at = b * shape.dIn + row;
        for (var v = 0u; v < VECS; v++) {
          var sum = acc[b * VECS + v];
          sum = fma(vec4f(x[at]), w0[v], sum);
          sum = fma(vec4f(x[at + LANES]), w1[v], sum);
          sum = fma(vec4f(x[at + 2u * LANES]), w2[v], sum);
          sum = fma(vec4f(x[at + 3u * LANES]), w3[v], sum);
          acc[b * VECS + v] = sum;
        }
      }
    }
    for (; row < end; row += LANES) {
      accumulate(&acc, row, word, denseX(row));
    }
  }
  finish(acc, split, word, column, lane);
}

// grid: (ceil(rowWords / WORDS), splits)
@compute @workgroup_size(WORDS, LANES)
fn sparse(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u, @builtin(local_invocation_index) index: u32) {
  let column = local.x;
  let lane = local.y;
  let word = group.x * WORDS + column;
  let split = group.y;
  let first = split * shape.rowsPerSplit;
  let end = min(first + shape.rowsPerSplit, shape.dIn);
  let bit = 1u << (index % 32u);
  var acc: array<vec4f, BATCH * VECS>;
  for (var start = first; start < end; start += SURVIVORS) {
    // Flag the surviving rows among the next SURVIVORS: this thread's are start + p·WORKGROUP + index.
    var mine = 0u;
    for (var p = 0u; p < PIECES; p++) {
      let row = start + p * WORKGROUP + index;
      var keep = false;
      if (row < end) {
        for (var b = 0u; b < BATCH; b++) {
          keep = keep || abs(x[b * shape.dIn + row]) > shape.threshold;
        }
      }
      if (keep) {
        mine |= 1u << p;
        atomicOr(&keepBits[p * (WORKGROUP / 32u) + index / 32u], bit);
      }
    }
    workgroupBarrier();
    // Take the bits out of the atomics (same-address atomic loads serialize), leaving them clear for the next
    // round; only the words of rows before `end` can be set.
    let words = min(PIECES, (end - start + WORKGROUP - 1u) / WORKGROUP) * (WORKGROUP / 32u);
    for (var i = index; i < words; i += WORKGROUP) {
      roundBits[i] = atomicExchange(&keepBits[i], 0u);
    }
    workgroupBarrier();
    // List them in row order: a row's place is the number of kept rows before it.
    var count = 0u;
    for (var i = 0u; i < words; i++) {
      let bits = roundBits[i];
      let p = i / (WORKGROUP / 32u);
      if (i % (WORKGROUP / 32u) == index / 32u && (mine & (1u << p)) != 0u) {
        survivorRows[count + countOneBits(bits & (bit - 1u))] = start + p * WORKGROUP + index;
      }
      count += countOneBits(bits);
    }
    workgroupBarrier();
    // Read only the listed rows of Wᵀ, the lanes taking every LANES-th, four in flight per thread.
    if (word < shape.rowWords) {
      var k = lane;
      for (; k + 3u * LANES < count; k += 4u * LANES) {
        let r0 = survivorRows[k];
        let r1 = survivorRows[k + LANES];
        let r2 = survivorRows[k + 2u * LANES];
        let r3 = survivorRows[k + 3u * LANES];
        let w0 = unpackWord(weights[r0 * shape.rowWords + word]);
        let w1 = unpackWord(weights[r1 * shape.rowWords + word]);
        let w2 = unpackWord(weights[r2 * shape.rowWords + word]);
        let w3 = unpackWord(weights[r3 * shape.rowWords + word]);
        for (var b = 0u; b < BATCH; b++) {
          let x0 = survivingX(b, r0);
          let x1 = survivingX(b, r1);
          let x2 = survivingX(b, r2);
          let x3 = survivingX(b, r3);
          for (var v = 0u; v < VECS; v++) {
            var sum = acc[b * VECS + v];
            sum = fma(vec4f(x0), w0[v], sum);
            sum = fma(vec4f(x1), w1[v], sum);
            sum = fma(vec4f(x2), w2[v], sum);
            sum = fma(vec4f(x3), w3[v], sum);
            acc[b * VECS + v] = sum;
          }
        }
      }
      for (; k < count; k += LANES) {
        let row = survivorRows[k];
        var xs: array<f32, BATCH>;
        for (var b = 0u; b < BATCH; b++) {
          xs[b] = survivingX(b, row);
        }
        accumulate(&acc, row, word, xs);
      }
    }
    // The list is rewritten next round.
    workgroupBarrier();
  }
  finish(acc, split, word, column, lane);
}
