// Attention version 3 on the matrix units: the walk of walk.wgsl, whose header this is. q, k, v, o: (heads, N, D) f16
// row-major, q, k and v padded past their last row by a block of zero rows. A workgroup of SG subgroups owns
// BR = 16·SG query rows of one head (grid: (ceil(N / BR), heads)); subgroup g owns rows 16g..16g+15 and walks all
// keys (with the causal mask, those up to its workgroup's last row), and o gets each row's output over its sum,
// rounded to f16.

struct Params {
  n: u32,
  causal: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f16>;
@group(0) @binding(2) var<storage, read> k: array<f16>;
@group(0) @binding(3) var<storage, read> v: array<f16>;
@group(0) @binding(4) var<storage, read_write> o: array<f16>;

fn walkOf(group: vec3u) -> Walk {
  let n = params.n;
  let causal = params.causal != 0u;
  let keys = select(n, min(n, group.x * BR + BR), causal);
  return Walk(n, causal, params.scale, group.y * n * D, (keys + BC - 1u) / BC, BC);
}

fn placeOf(group: vec3u, g: u32) -> Place {
  let firstRow = group.x * BR + 16u * g;
  return Place(firstRow, 0u, group.y * params.n * D + firstRow * D);
}

fn prologue(group: vec3u, thread: u32) {}

// Output tile c of subgroup g, in its region: each row over its sum (in factors), rounded to f16.
fn epilogue(walk: Walk, place: Place, works: bool, g: u32, lane: u32, lanes: u32, c: u32) {
  if (works) {
    for (var e = lane; e < 256u; e += lanes) {
      let row = place.firstRow + e / 16u;
      if (row < params.n) {
        o[walk.base + row * D + 16u * c + e % 16u] = f16(scores[g * 16u * BC + e] / factors[16u * g + e / 16u]);
      }
    }
  }
}
