// y = W·x for a few tokens, with W stored transposed (TEAL's layout): row i of Wᵀ holds the weights from
// input channel i to every output, so the rows that x's surviving entries select are contiguous.
// gemv.ts prepends the constants BATCH, WORDS, LANES, VECS and UNROLL, shape.wgsl (the Shape uniform, binding 0)
// and one weights-*.wgsl (WeightWord, unpackWord).
//
// A workgroup is WORDS × LANES threads: it owns WORDS consecutive 16-byte words of every row (4·VECS outputs
// each, coalesced along d_out) and the rows of one split of d_in, which its LANES lanes share out, UNROLL rows
// in flight per thread. The lanes' sums meet in workgroup memory; the splits' sums in a second dispatch,
// which is skipped when one split has enough workgroups along d_out to fill the GPU: they write y themselves.
//
// Versions, simplest first:
//   dense:  every row of the split.
//   sparse: TEAL's kernel. The workgroup sifts its split a window of WINDOW rows at a time: the threads flag
//           the surviving rows (|x| > threshold for some token), then each takes the flags of PIECES
//           consecutive rows, a prefix sum of their counts gives each its place, and the rows are listed in
//           workgroup memory in row order (so sums are the same every run), SURVIVORS at a time. Only the
//           listed rows of Wᵀ are read. Entries at or below the threshold count as zero for their token.
//   reduce (reduce.wgsl): y[b, c] = Σ_s partial[s, b, c].

const WORKGROUP = WORDS * LANES;
// sparse: rows each thread sifts, so rows a workgroup sifts at once (gemv.ts keeps WORKGROUP a power of two
// from 64 to 256), and the longest list of surviving rows it gathers before it reads them.
const PIECES = 16u;
const WINDOW = PIECES * WORKGROUP;
const SURVIVORS = 2048u;

// weights: Wᵀ, (dIn, rowWords) words, each word 4·VECS consecutive outputs.
@group(0) @binding(1) var<storage, read> weights: array<WeightWord>;
// x: (BATCH, dIn) f32
@group(0) @binding(2) var<storage, read> x: array<f32>;
// partial: (splits, BATCH, rowWords·VECS) vec4f, the padded outputs of each split.
@group(0) @binding(3) var<storage, read_write> partial: array<vec4f>;
// y: (BATCH, dOut) f32, written here when there is one split.
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// sparse: the window's surviving rows; each thread's flags as tested; the number each thread's rows hold,
// and each group of 16 threads'; their total.
var<workgroup> survivorRows: array<u32, SURVIVORS>;
var<workgroup> flags: array<u32, WORKGROUP>;
var<workgroup> counts: array<u32, WORKGROUP>;
var<workgroup> groupCounts: array<u32, WORKGROUP / 16u>;
var<workgroup> listLength: u32;
// laneSums: (LANES, WORDS) vec4f, one (token, vec4) of the accumulators at a time.
var<workgroup> laneSums: array<vec4f, WORKGROUP>;

// x[b, row] where it survives the threshold, else 0: a batch reads the union of its tokens' rows.
fn survivingX(b: u32, row: u32) -> f32 {
  let value = x[b * shape.dIn + row];
  return select(0.0, value, abs(value) > shape.threshold);
}

// Adds rows begin..stop-1 of the split's list (sparse) or of Wᵀ itself (dense) into this thread's word of the
// outputs, the lanes taking every LANES-th row, UNROLL rows in flight per thread. A last short step repeats
// its last row with x = 0, so its loads still go out together (the repeats hit the cache).
fn readRows(acc: ptr<function, array<vec4f, BATCH * VECS>>, word: u32, lane: u32, begin: u32, stop: u32, listed: bool) {
  for (var k = begin + lane; k < stop; k += UNROLL * LANES) {
    var rows: array<u32, UNROLL>;
    var ws: array<array<vec4f, VECS>, UNROLL>;
    for (var u = 0u; u < UNROLL; u++) {
      let at = min(k + u * LANES, stop - 1u);
      rows[u] = at;
      if (listed) {
        rows[u] = survivorRows[at];
      }
      ws[u] = unpackWord(weights[rows[u] * shape.rowWords + word]);
    }
    for (var b = 0u; b < BATCH; b++) {
      for (var u = 0u; u < UNROLL; u++) {
        let xu = select(0.0, survivingX(b, rows[u]), k + u * LANES < stop);
        for (var v = 0u; v < VECS; v++) {
          (*acc)[b * VECS + v] = fma(vec4f(xu), ws[u][v], (*acc)[b * VECS + v]);
        }
      }
    }
  }
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
    readRows(&acc, word, lane, first, end, false);
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
  var acc: array<vec4f, BATCH * VECS>;
  for (var start = first; start < end; start += WINDOW) {
    // Flag the surviving rows start + p·WORKGROUP + index, p < PIECES: neighbouring threads read neighbouring
    // entries of x, and every load goes out unconditionally (rows past the end are clamped, then dropped).
    var tested = 0u;
    for (var p = 0u; p < PIECES; p++) {
      let row = start + p * WORKGROUP + index;
      var keep = false;
      for (var b = 0u; b < BATCH; b++) {
        keep = keep | (abs(x[b * shape.dIn + min(row, end - 1u)]) > shape.threshold);
      }
      tested |= select(0u, 1u << p, keep & (row < end));
    }
    flags[index] = tested;
    workgroupBarrier();
    // Gather the flags of this thread's own PIECES consecutive rows, start + index·PIECES + q: row offset o was
    // tested by thread o % WORKGROUP as its piece o / WORKGROUP.
    let chunk = index * PIECES;
    var kept = 0u;
    for (var q = 0u; q < PIECES; q++) {
      kept |= ((flags[(chunk + q) % WORKGROUP] >> (chunk / WORKGROUP)) & 1u) << q;
    }
    // This thread's place in the list: the survivors of the threads before it, counted in groups of 16.
    let mine = countOneBits(kept);
    counts[index] = mine;
    workgroupBarrier();
    let group16 = index / 16u;
    var place = 0u;
    for (var j = 0u; j < 16u; j++) {
      place += select(0u, counts[group16 * 16u + j], group16 * 16u + j < index);
    }
    if (index % 16u == 15u) {
      groupCounts[group16] = place + mine;
    }
    workgroupBarrier();
    for (var g = 0u; g < WORKGROUP / 16u; g++) {
      place += select(0u, groupCounts[g], g < group16);
    }
    if (index == WORKGROUP - 1u) {
      listLength = place + mine;
    }
    let count = workgroupUniformLoad(&listLength);
    // List the survivors, SURVIVORS at a time, and read their rows of Wᵀ.
    for (var base = 0u; base < count; base += SURVIVORS) {
      var rank = place;
      for (var p = 0u; p < PIECES; p++) {
        if ((kept & (1u << p)) != 0u) {
          if (rank >= base && rank < base + SURVIVORS) {
            survivorRows[rank - base] = start + chunk + p;
          }
          rank++;
        }
      }
      workgroupBarrier();
      if (word < shape.rowWords) {
        readRows(&acc, word, lane, 0u, min(count - base, SURVIVORS), true);
      }
      // Before the list is rewritten. (The counts are rewritten only after the next window's barriers.)
      workgroupBarrier();
    }
  }
  finish(acc, split, word, column, lane);
}
