// Version 1 of the split pass of flash-decoding: one query token per sequence attends over its KV cache.
// Workgroup (split, kvHead, batch) takes rows [split·chunkLen, (split+1)·chunkLen) of one KV head and
// serves all GROUP query heads that share it, so each K/V row crosses memory once for the whole group.
// The whole workgroup works on ROWS rows at a time: its lanes split each row's 16-byte units, the dot
// products are summed through workgroup memory (a tree, a barrier per level), and every lane keeps the
// running max, sum and its slice of the output of each query head (online softmax, scores in log2 units).
// It needs no subgroups; decode-subgroup.wgsl is the faster version 2.
// Constants (HEAD_DIM, GROUP, UNITS, VEC4_PER_UNIT, COLS, ROWS, WORKGROUP), KvUnit and unpackUnit, the Shape
// uniform (shape.wgsl) and the buffers (split-bindings.wgsl) come from the prelude decode.ts puts before this text.

const HEAD_VEC4 = HEAD_DIM / 4u;
const LANE_VEC4 = COLS * VEC4_PER_UNIT;
const SUMS = ROWS * GROUP;
// Below any score: the running max before the first row (exp2 of it minus a score is 0).
const NO_SCORE = -1.0e30;
const SUM_BATCH = 8u;

// sumLanes: (SUM_BATCH, WORKGROUP) partial dot products, one column per lane
var<workgroup> sumLanes: array<array<f32, WORKGROUP>, SUM_BATCH>;

// values: (SUMS) one partial dot product per (row, query head); each becomes the workgroup's total.
// WORKGROUP is a power of two.
fn workgroupSum(values: ptr<function, array<f32, SUMS>>, lane: u32) {
  for (var first = 0u; first < SUMS; first += SUM_BATCH) {
    for (var i = 0u; i < SUM_BATCH; i++) {
      if (first + i < SUMS) {
        sumLanes[i][lane] = (*values)[first + i];
      }
    }
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
      workgroupBarrier();
      if (lane < stride) {
        for (var i = 0u; i < SUM_BATCH; i++) {
          sumLanes[i][lane] += sumLanes[i][lane + stride];
        }
      }
    }
    workgroupBarrier();
    for (var i = 0u; i < SUM_BATCH; i++) {
      if (first + i < SUMS) {
        (*values)[first + i] = sumLanes[i][0];
      }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WORKGROUP)
fn splitPass(@builtin(workgroup_id) workgroup: vec3u, @builtin(local_invocation_index) lane: u32) {
  let split = workgroup.x;
  let kvHead = workgroup.y;
  let batch = workgroup.z;
  let firstRow = split * shape.chunkLen;
  let endRow = min(firstRow + shape.chunkLen, shape.seqLen);
  let firstQueryHead = batch * shape.queryHeads + kvHead * GROUP;
  // The KV row index of (batch, kvHead, 0).
  let rowBase = (batch * shape.kvHeads + kvHead) * shape.seqLen;

  // This lane's slices of the group's query vectors, pre-scaled into log2 units.
  var query: array<array<vec4f, LANE_VEC4>, GROUP>;
  for (var h = 0u; h < GROUP; h++) {
    for (var j = 0u; j < COLS; j++) {
      let unit = lane + j * WORKGROUP;
      if (unit < UNITS) {
        for (var e = 0u; e < VEC4_PER_UNIT; e++) {
          query[h][j * VEC4_PER_UNIT + e] = q[(firstQueryHead + h) * HEAD_VEC4 + unit * VEC4_PER_UNIT + e] * shape.scaleLog2;
        }
      }
    }
  }

  var runMax: array<f32, GROUP>;
  var runSum: array<f32, GROUP>;
  var acc: array<array<vec4f, LANE_VEC4>, GROUP>;
  for (var h = 0u; h < GROUP; h++) {
    runMax[h] = NO_SCORE;
  }

  for (var row0 = firstRow; row0 < endRow; row0 += ROWS) {
    // Variables in this loop are zeroed explicitly: Dawn on SwiftShader was seen keeping `scores`
    // from the previous iteration when it was declared without a value.
    var kRows = array<array<KvUnit, COLS>, ROWS>();
    var vRows = array<array<KvUnit, COLS>, ROWS>();
    for (var r = 0u; r < ROWS; r++) {
      for (var j = 0u; j < COLS; j++) {
        let unit = lane + j * WORKGROUP;
        if (row0 + r < endRow && unit < UNITS) {
          let at = (rowBase + row0 + r) * UNITS + unit;
          kRows[r][j] = k[at];
          vRows[r][j] = v[at];
        }
      }
    }
    var scores = array<f32, SUMS>();
    for (var r = 0u; r < ROWS; r++) {
      for (var j = 0u; j < COLS; j++) {
        let key = unpackUnit(kRows[r][j]);
        for (var h = 0u; h < GROUP; h++) {
          for (var e = 0u; e < VEC4_PER_UNIT; e++) {
            scores[r * GROUP + h] += dot(query[h][j * VEC4_PER_UNIT + e], key[e]);
          }
        }
      }
    }
    workgroupSum(&scores, lane);
    for (var h = 0u; h < GROUP; h++) {
      var stepMax = runMax[h];
      for (var r = 0u; r < ROWS; r++) {
        if (row0 + r < endRow) {
          stepMax = max(stepMax, scores[r * GROUP + h]);
        }
      }
      let correction = exp2(runMax[h] - stepMax);
      runMax[h] = stepMax;
      runSum[h] *= correction;
      for (var i = 0u; i < LANE_VEC4; i++) {
        acc[h][i] *= correction;
      }
      for (var r = 0u; r < ROWS; r++) {
        if (row0 + r < endRow) {
          let p = exp2(scores[r * GROUP + h] - stepMax);
          runSum[h] += p;
          for (var j = 0u; j < COLS; j++) {
            let value = unpackUnit(vRows[r][j]);
            for (var e = 0u; e < VEC4_PER_UNIT; e++) {
              acc[h][j * VEC4_PER_UNIT + e] += p * value[e];
            }
          }
        }
      }
    }
  }

  for (var h = 0u; h < GROUP; h++) {
    let head = firstQueryHead + h;
    for (var j = 0u; j < COLS; j++) {
      let unit = lane + j * WORKGROUP;
      if (unit < UNITS) {
        for (var e = 0u; e < VEC4_PER_UNIT; e++) {
          partialOut[(head * shape.splits + split) * HEAD_VEC4 + unit * VEC4_PER_UNIT + e] = acc[h][j * VEC4_PER_UNIT + e];
        }
      }
    }
    if (lane == 0u) {
      partialStats[head * shape.splits + split] = vec2f(runMax[h], runSum[h]);
    }
  }
}
