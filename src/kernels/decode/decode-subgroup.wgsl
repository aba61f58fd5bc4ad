// Version 2 of the split pass of flash-decoding (version 1, decode.wgsl, says what the pass computes).
// The workgroup is cut into teams of TEAM lanes, each inside one subgroup. A team's lanes are split three
// ways: LANES_PER_HEAD lanes share one (row, query head) dot product, each holding COLS 16-byte units of
// the row; HEAD_SLOTS query heads of the group sit side by side (lanes of different heads load the same
// K/V units in one instruction, so the bytes still cross memory once); ROW_SLOTS rows go side by side.
// Teams differ by their block of heads (HEAD_BLOCKS of them when the group is wider than HEAD_SLOTS) and
// by their rows. A dot product is summed with subgroupShuffleXor over LANES_PER_HEAD lanes, so the row loop
// has no barrier; each lane keeps one head's running max, sum and output slice. At the end the lanes of
// each head merge through workgroup memory and the split writes its max, sum and unnormalized output.
// Constants (HEAD_DIM, GROUP, UNITS, VEC4_PER_UNIT, COLS, ROWS, WORKGROUP, TEAM, LANES_PER_HEAD,
// HEAD_SLOTS, ROW_SLOTS, HEAD_BLOCKS, ROW_GROUPS), KvUnit and unpackUnit come from decode.ts's prelude.

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
// Lane groups that see different rows of the same head: a row group (a team per head block) × row slots.
const SLOTS = ROW_GROUPS * ROW_SLOTS;
// Rows the workgroup takes per step: ROWS for each slot.
const STEP_ROWS = SLOTS * ROWS;
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

// One head's state from each slot while the slots merge.
var<workgroup> mergeOut: array<array<vec4f, HEAD_VEC4>, SLOTS>;
var<workgroup> mergeStats: array<vec2f, SLOTS>;
// Set when this device's subgroups do not hold whole teams: the split then reports NaN, so the check fails loudly.
var<workgroup> misfit: atomic<u32>;

@compute @workgroup_size(WORKGROUP)
fn splitPass(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(local_invocation_index) localIndex: u32,
  @builtin(subgroup_invocation_id) subgroupLane: u32,
  @builtin(subgroup_size) subgroupSize: u32,
) {
  let split = workgroup.x;
  let kvHead = workgroup.y;
  let batch = workgroup.z;
  let team = localIndex / TEAM;
  let lane = localIndex % TEAM;
  if (subgroupSize < TEAM || subgroupLane % TEAM != lane) {
    atomicOr(&misfit, 1u);
  }
  let slice = lane % LANES_PER_HEAD;
  // This lane's query head within the group (lanes past the group's end compute, and are never merged).
  let headInGroup = (team % HEAD_BLOCKS) * HEAD_SLOTS + (lane / LANES_PER_HEAD) % HEAD_SLOTS;
  let slot = (team / HEAD_BLOCKS) * ROW_SLOTS + lane / (LANES_PER_HEAD * HEAD_SLOTS);
  let firstQueryHead = batch * shape.queryHeads + kvHead * GROUP;
  let firstRow = split * shape.chunkLen;
  let endRow = min(firstRow + shape.chunkLen, shape.seqLen);
  // The KV row index of (batch, kvHead, 0).
  let rowBase = (batch * shape.kvHeads + kvHead) * shape.seqLen;

  // This lane's slice of its query vector, pre-scaled into log2 units.
  var query: array<vec4f, LANE_VEC4>;
  let queryHead = firstQueryHead + min(headInGroup, GROUP - 1u);
  for (var j = 0u; j < COLS; j++) {
    let unit = slice + j * LANES_PER_HEAD;
    if (unit < UNITS) {
      for (var e = 0u; e < VEC4_PER_UNIT; e++) {
        query[j * VEC4_PER_UNIT + e] = q[queryHead * HEAD_VEC4 + unit * VEC4_PER_UNIT + e] * shape.scaleLog2;
      }
    }
  }

  var runMax = NO_SCORE;
  var runSum = 0.0;
  var acc: array<vec4f, LANE_VEC4>;
  for (var row0 = firstRow; row0 < endRow; row0 += STEP_ROWS) {
    // Issue every load of the step before using any. Variables in this loop are zeroed explicitly: Dawn on
    // SwiftShader was seen keeping a loop variable's previous value when it was declared without one.
    var kRows = array<array<KvUnit, COLS>, ROWS>();
    var vRows = array<array<KvUnit, COLS>, ROWS>();
    for (var r = 0u; r < ROWS; r++) {
      let row = row0 + r * SLOTS + slot;
      for (var j = 0u; j < COLS; j++) {
        let unit = slice + j * LANES_PER_HEAD;
        if (row < endRow && unit < UNITS) {
          let at = (rowBase + row) * UNITS + unit;
          kRows[r][j] = k[at];
          vRows[r][j] = v[at];
        }
      }
    }
    var scores = array<f32, ROWS>();
    for (var r = 0u; r < ROWS; r++) {
      for (var j = 0u; j < COLS; j++) {
        let key = unpackUnit(kRows[r][j]);
        for (var e = 0u; e < VEC4_PER_UNIT; e++) {
          scores[r] += dot(query[j * VEC4_PER_UNIT + e], key[e]);
        }
      }
      for (var mask = LANES_PER_HEAD / 2u; mask > 0u; mask /= 2u) {
        scores[r] += subgroupShuffleXor(scores[r], mask);
      }
    }
    var stepMax = runMax;
    for (var r = 0u; r < ROWS; r++) {
      if (row0 + r * SLOTS + slot < endRow) {
        stepMax = max(stepMax, scores[r]);
      }
    }
    let correction = exp2(runMax - stepMax);
    runMax = stepMax;
    runSum *= correction;
    for (var i = 0u; i < LANE_VEC4; i++) {
      acc[i] *= correction;
    }
    for (var r = 0u; r < ROWS; r++) {
      if (row0 + r * SLOTS + slot < endRow) {
        let p = exp2(scores[r] - stepMax);
        runSum += p;
        for (var j = 0u; j < COLS; j++) {
          let value = unpackUnit(vRows[r][j]);
          for (var e = 0u; e < VEC4_PER_UNIT; e++) {
            acc[j * VEC4_PER_UNIT + e] += p * value[e];
          }
        }
      }
    }
  }

  // Merge the slots of each head in turn; a slot with no rows has max NO_SCORE and weighs 0.
  let broken = workgroupUniformLoad(&misfit) != 0u;
  let quietNanBits = 0x7fc00000u;
  let nan = bitcast<f32>(quietNanBits);
  for (var h = 0u; h < GROUP; h++) {
    if (headInGroup == h) {
      if (slice == 0u) {
        mergeStats[slot] = vec2f(runMax, runSum);
      }
      for (var j = 0u; j < COLS; j++) {
        let unit = slice + j * LANES_PER_HEAD;
        if (unit < UNITS) {
          for (var e = 0u; e < VEC4_PER_UNIT; e++) {
            mergeOut[slot][unit * VEC4_PER_UNIT + e] = acc[j * VEC4_PER_UNIT + e];
          }
        }
      }
    }
    workgroupBarrier();
    let head = firstQueryHead + h;
    for (var c = localIndex; c < HEAD_VEC4; c += WORKGROUP) {
      var headMax = NO_SCORE;
      for (var s = 0u; s < SLOTS; s++) {
        headMax = max(headMax, mergeStats[s].x);
      }
      var headSum = 0.0;
      var headOut = vec4f(0.0);
      for (var s = 0u; s < SLOTS; s++) {
        let weight = exp2(mergeStats[s].x - headMax);
        headSum += weight * mergeStats[s].y;
        headOut += weight * mergeOut[s][c];
      }
      partialOut[(head * shape.splits + split) * HEAD_VEC4 + c] = select(headOut, vec4f(nan), broken);
      if (c == 0u) {
        partialStats[head * shape.splits + split] = select(vec2f(headMax, headSum), vec2f(nan), broken);
      }
    }
    workgroupBarrier();
  }
}
