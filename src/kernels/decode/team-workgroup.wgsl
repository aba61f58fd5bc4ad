// Version 1 teams: the whole workgroup is one team (needs no subgroups). Dot products reduce through
// workgroup memory, SUM_BATCH at a time, in a tree with a barrier per level.

const SUM_BATCH = 8u;
// sumLanes: (SUM_BATCH, WORKGROUP) partial sums, one column per lane
var<workgroup> sumLanes: array<array<f32, WORKGROUP>, SUM_BATCH>;

fn laneIndex(localIndex: u32) -> u32 {
  return localIndex;
}

fn laneCount() -> u32 {
  return WORKGROUP;
}

fn teamIndex() -> u32 {
  return 0u;
}

fn teamCount() -> u32 {
  return 1u;
}

// values: (SUMS) one partial dot product per (row, query head); each becomes the workgroup's total.
// WORKGROUP is a power of two.
fn teamSum(values: ptr<function, array<f32, SUMS>>, lane: u32) {
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
