// Version 2 teams: each subgroup is a team, whatever its size. A lane is its rank among the subgroup's
// active invocations; a team's index is a ticket its first lane draws. Dot products reduce with subgroupAdd,
// with no barrier, so teams run their rows independently.

var<workgroup> teamTickets: atomic<u32>;

fn laneIndex(localIndex: u32) -> u32 {
  return subgroupExclusiveAdd(1u);
}

fn laneCount() -> u32 {
  return subgroupAdd(1u);
}

fn teamIndex() -> u32 {
  var ticket = 0u;
  if (subgroupElect()) {
    ticket = atomicAdd(&teamTickets, 1u);
  }
  return subgroupBroadcastFirst(ticket);
}

// Call after every invocation has called teamIndex (this waits at a barrier).
fn teamCount() -> u32 {
  return workgroupUniformLoad(&teamTickets);
}

// values: (SUMS) one partial dot product per (row, query head); each becomes the team's total.
fn teamSum(values: ptr<function, array<f32, SUMS>>, lane: u32) {
  for (var i = 0u; i < SUMS; i++) {
    (*values)[i] = subgroupAdd((*values)[i]);
  }
}
