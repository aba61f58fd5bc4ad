// Matrix-unit rate (the tensor cores), through subgroup matrices: each subgroup loads one left tile A
// (16×16 f16) and one right tile B (16×16 f16) once, then runs CHAINS independent chains
// C_j = A·B + C_j (f16 products, f32 accumulators), so the matrix unit always has independent work.
// The chains start from different tiles: started alike, a compiler could merge them into one. WGSL has no
// sum of subgroup matrices, so every chain is stored. Inputs are multiples of 1/16 (matrix.ts), so every
// partial sum is a multiple of 2^-8 and exact in f32 while below 2^16: the output is exact whatever order
// or rounding the matrix unit uses.
// Needs `chromium-experimental-subgroup-matrix` (with `subgroups`) and `shader-f16`, and a device that
// offers the f16 → f32 16×16×16 configuration. Syntax as in Dawn's Tint tests (google/dawn,
// test/tint/builtins/gen/*/subgroupMatrixLoad, subgroupMatrixStore): the layout is a template argument.
// Versions (one so far):
//   1: 8 chains, the loop unrolled 4 times by hand: 32 multiply-accumulates per loop test. On an H200
//      (2026-11-28, `webgpu` 0.6.2, toggles allow_unsafe_apis and vulkan_enable_f16_on_nvidia) the output was
//      exact, and 8448 subgroups × 4096 steps ran at 636 TFLOP/s (2112 × 4096: 626; 528 × 1024: 520).

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
// Tile offsets depend on subgroup_id, uniform within a subgroup but not across the workgroup, which is
// all the matrix builtins need; Tint's analysis only knows workgroup uniformity.
diagnostic(off, chromium.subgroup_matrix_uniformity);

// Invocations per workgroup: 128, WebGPU's largest subgroup size, so always a multiple of the device's
// largest subgroup (Dawn refuses a subgroup-matrix pipeline whose x size is not).
const WORKGROUP_SIZE = 128u;
// Subgroups that work in each workgroup: WORKGROUP_SIZE / the device's largest subgroup size. Where a
// subgroup is smaller than the largest, the workgroup holds more subgroups, and those past this count return.
override SUBGROUPS_PER_WORKGROUP: u32 = 4u;

// M = N = K = 16: subgroup_matrix_left<T, K, M> is M×K, subgroup_matrix_right<T, N, K> is K×N,
// subgroup_matrix_result<T, N, M> is M×N.
const TILE = 16u;
const TILE_ELEMENTS = 256u;
alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Result = subgroup_matrix_result<f32, 16, 16>;
const CHAINS = 8u;

struct Params {
  iterations: u32,          // multiply-accumulates of each chain, a multiple of 4
  tilePairs: u32,           // (A, B) pairs in `tiles`
  startTiles: u32,          // tiles in `starts`
  subgroups: u32,           // subgroups that work: (subgroups, CHAINS) tiles of output
  workgroupsPerRow: u32,    // workgroups in one row of the grid
}

@group(0) @binding(0) var<uniform> params: Params;
// tiles: (tilePairs, 2, 16, 16) f16, row-major: pair p holds A (M×K) then B (K×N)
@group(0) @binding(1) var<storage, read> tiles: array<f16>;
// starts: (startTiles, 16, 16) f32, row-major: the chains' starting accumulators
@group(0) @binding(2) var<storage, read> starts: array<f32>;
// output: (subgroups, CHAINS, 16, 16) f32, row-major: each chain's final accumulator
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

// Start tile `index` mod startTiles.
fn startTile(index: u32) -> Result {
  return subgroupMatrixLoad<Result, row_major>(&starts, (index % params.startTiles) * TILE_ELEMENTS, TILE);
}

// Grid: (workgroupsPerRow, rows, 1); subgroup s = (y * workgroupsPerRow + x) * SUBGROUPS_PER_WORKGROUP + subgroup_id,
// s < subgroups. Subgroup s multiplies pair s mod tilePairs; its chain j starts from tile (s·CHAINS + j) mod startTiles.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) workgroup: vec3u, @builtin(subgroup_id) subgroupInWorkgroup: u32) {
  let subgroup = (workgroup.y * params.workgroupsPerRow + workgroup.x) * SUBGROUPS_PER_WORKGROUP + subgroupInWorkgroup;
  if (subgroupInWorkgroup >= SUBGROUPS_PER_WORKGROUP || subgroup >= params.subgroups) {
    return;
  }
  let pair = (subgroup % params.tilePairs) * 2u * TILE_ELEMENTS;
  let a = subgroupMatrixLoad<Left, row_major>(&tiles, pair, TILE);
  let b = subgroupMatrixLoad<Right, row_major>(&tiles, pair + TILE_ELEMENTS, TILE);
  let first = subgroup * CHAINS;
  var c0 = startTile(first);
  var c1 = startTile(first + 1u);
  var c2 = startTile(first + 2u);
  var c3 = startTile(first + 3u);
  var c4 = startTile(first + 4u);
  var c5 = startTile(first + 5u);
  var c6 = startTile(first + 6u);
  var c7 = startTile(first + 7u);
  for (var i = 0u; i < params.iterations; i += 4u) {
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0); c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2); c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
    c4 = subgroupMatrixMultiplyAccumulate(a, b, c4); c5 = subgroupMatrixMultiplyAccumulate(a, b, c5);
    c6 = subgroupMatrixMultiplyAccumulate(a, b, c6); c7 = subgroupMatrixMultiplyAccumulate(a, b, c7);
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0); c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2); c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
    c4 = subgroupMatrixMultiplyAccumulate(a, b, c4); c5 = subgroupMatrixMultiplyAccumulate(a, b, c5);
    c6 = subgroupMatrixMultiplyAccumulate(a, b, c6); c7 = subgroupMatrixMultiplyAccumulate(a, b, c7);
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0); c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2); c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
    c4 = subgroupMatrixMultiplyAccumulate(a, b, c4); c5 = subgroupMatrixMultiplyAccumulate(a, b, c5);
    c6 = subgroupMatrixMultiplyAccumulate(a, b, c6); c7 = subgroupMatrixMultiplyAccumulate(a, b, c7);
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0); c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2); c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
    c4 = subgroupMatrixMultiplyAccumulate(a, b, c4); c5 = subgroupMatrixMultiplyAccumulate(a, b, c5);
    c6 = subgroupMatrixMultiplyAccumulate(a, b, c6); c7 = subgroupMatrixMultiplyAccumulate(a, b, c7);
  }
  subgroupMatrixStore<row_major>(&output, first * TILE_ELEMENTS, c0, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 1u) * TILE_ELEMENTS, c1, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 2u) * TILE_ELEMENTS, c2, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 3u) * TILE_ELEMENTS, c3, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 4u) * TILE_ELEMENTS, c4, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 5u) * TILE_ELEMENTS, c5, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 6u) * TILE_ELEMENTS, c6, TILE);
  subgroupMatrixStore<row_major>(&output, (first + 7u) * TILE_ELEMENTS, c7, TILE);
}
