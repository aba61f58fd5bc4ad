// The split pass of flash-decoding: one query token per sequence attends over its KV cache.
// Workgroup (split, kvHead, batch) takes rows [split·chunkLen, (split+1)·chunkLen) of one KV head and
// serves all GROUP query heads that share it, so each K/V row crosses memory once for the whole group.
// Inside the workgroup, teams (a subgroup each, or the whole workgroup: see team-*.wgsl) take ROWS rows
// at a time; a team's lanes split a row's 16-byte units, reduce the dot products, and keep a running max,
// sum and output per query head (online softmax, scores in log2 units). The teams then merge in
// workgroup memory, and the split writes its max, sum and unnormalized output for combine.wgsl.
// Constants (HEAD_DIM, GROUP, UNITS, VEC4_PER_UNIT, COLS, ROWS, WORKGROUP, MAX_TEAMS), KvUnit,
// unpackUnit and the team functions come from the prelude that decode.ts puts before this text.

struct Shape {
  seqLen: u32,
  kvHeads: u32,
  queryHeads: u32,
  splits: u32,
  // rows of the KV cache per split
  chunkLen: u32,
  // log2(e) / sqrt(HEAD_DIM): scores come out in log2 units, ready for exp2
  scaleLog2: f32,
}

const HEAD_VEC4 = HEAD_DIM / 4u;
const LANE_VEC4 = COLS * VEC4_PER_UNIT;
const SUMS = ROWS * GROUP;
// Below any score: the running max before the first row (exp2 of it minus a score is 0).
const NO_SCORE = -1.0e30;

@group(0) @binding(0) var<uniform> shape: Shape;
// q: (batch, queryHeads, HEAD_DIM) f32; query head kvHead·GROUP + h reads KV head kvHead
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
// k, v: (batch, kvHeads, seqLen, HEAD_DIM) as 16-byte KvUnits, UNITS per row
@group(0) @binding(2) var<storage, read> k: array<KvUnit>;
@group(0) @binding(3) var<storage, read> v: array<KvUnit>;
// partialOut: (batch, queryHeads, splits, HEAD_DIM) f32, Σ exp2(score − max)·V over the split's rows
@group(0) @binding(4) var<storage, read_write> partialOut: array<vec4f>;
// partialStats: (batch, queryHeads, splits) of (max score in log2 units, Σ exp2(score − max))
@group(0) @binding(5) var<storage, read_write> partialStats: array<vec2f>;

// Each team's state for one query head while the teams merge.
var<workgroup> mergeOut: array<array<vec4f, HEAD_VEC4>, MAX_TEAMS>;
var<workgroup> mergeStats: array<vec2f, MAX_TEAMS>;
// Set when this device's teams are smaller than the prelude assumed: the split then reports NaN.
var<workgroup> misfit: atomic<u32>;

@compute @workgroup_size(WORKGROUP)
fn splitPass(@builtin(workgroup_id) workgroup: vec3u, @builtin(local_invocation_index) localIndex: u32) {
  let split = workgroup.x;
  let kvHead = workgroup.y;
  let batch = workgroup.z;
  let lane = laneIndex(localIndex);
  let lanes = laneCount();
  let team = teamIndex();
  if (lanes * COLS < UNITS) {
    atomicOr(&misfit, 1u);
  }
  let teams = teamCount();

  let firstRow = split * shape.chunkLen;
  let endRow = min(firstRow + shape.chunkLen, shape.seqLen);
  let firstQueryHead = batch * shape.queryHeads + kvHead * GROUP;
  // The KV row index of (batch, kvHead, 0).
  let rowBase = (batch * shape.kvHeads + kvHead) * shape.seqLen;

  // This lane's slices of the group's query vectors, pre-scaled into log2 units.
  var query: array<array<vec4f, LANE_VEC4>, GROUP>;
  for (var h = 0u; h < GROUP; h++) {
    for (var j = 0u; j < COLS; j++) {
      let unit = lane + j * lanes;
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

  for (var row0 = firstRow + team * ROWS; row0 < endRow; row0 += teams * ROWS) {
    // Issue every load of the step before using any. Variables in this loop are zeroed explicitly: Dawn on
    // SwiftShader was seen keeping `scores` from the previous iteration when it was declared without a value.
    var kRows = array<array<KvUnit, COLS>, ROWS>();
    var vRows = array<array<KvUnit, COLS>, ROWS>();
    for (var r = 0u; r < ROWS; r++) {
      for (var j = 0u; j < COLS; j++) {
        let unit = lane + j * lanes;
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
    teamSum(&scores, lane);
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

  // Merge the teams, one query head at a time; a team with no rows has max NO_SCORE and weighs 0.
  let broken = workgroupUniformLoad(&misfit) != 0u || teams > MAX_TEAMS;
  // What the split reports when this device's teams do not fit the prelude's assumptions: the check then fails loudly.
  let quietNanBits = 0x7fc00000u;
  let nan = bitcast<f32>(quietNanBits);
  for (var h = 0u; h < GROUP; h++) {
    if (lane == 0u) {
      mergeStats[team] = vec2f(runMax[h], runSum[h]);
    }
    for (var j = 0u; j < COLS; j++) {
      let unit = lane + j * lanes;
      if (unit < UNITS) {
        for (var e = 0u; e < VEC4_PER_UNIT; e++) {
          mergeOut[team][unit * VEC4_PER_UNIT + e] = acc[h][j * VEC4_PER_UNIT + e];
        }
      }
    }
    workgroupBarrier();
    let head = firstQueryHead + h;
    for (var c = localIndex; c < HEAD_VEC4; c += WORKGROUP) {
      var headMax = NO_SCORE;
      for (var t = 0u; t < teams; t++) {
        headMax = max(headMax, mergeStats[t].x);
      }
      var headSum = 0.0;
      var headOut = vec4f(0.0);
      for (var t = 0u; t < teams; t++) {
        let weight = exp2(mergeStats[t].x - headMax);
        headSum += weight * mergeStats[t].y;
        headOut += weight * mergeOut[t][c];
      }
      partialOut[(head * shape.splits + split) * HEAD_VEC4 + c] = select(headOut, vec4f(nan), broken);
      if (c == 0u) {
        partialStats[head * shape.splits + split] = select(vec2f(headMax, headSum), vec2f(nan), broken);
      }
    }
    workgroupBarrier();
  }
}
