// GEMM version 1, the plainest: C = op(A)·op(B) in f32, one output per thread, reading A and B straight from
// storage. op(X) is X or Xᵀ (TRANS_A, TRANS_B); A is stored (m, k), or (k, m) when transposed; B is stored
// (k, n), or (n, k) when transposed; C is (m, n); all row-major. Any m, n, k. Grid: (ceil(n / 16), ceil(m / 16)).
// On an H200 (2026-11-28 and -29, Dawn `webgpu` 0.6.2): 2.7–2.8 TFLOP/s at 2048³.

struct Shape {
  m: u32,
  n: u32,
  k: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<uniform> shape: Shape;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let row = id.y;
  let col = id.x;
  if (row >= shape.m || col >= shape.n) {
    return;
  }
  var sum = 0.0;
  for (var i = 0u; i < shape.k; i++) {
    var left = a[row * shape.k + i];
    if (TRANS_A) {
      left = a[i * shape.m + row];
    }
    var right = b[i * shape.n + col];
    if (TRANS_B) {
      right = b[col * shape.k + i];
    }
    sum = fma(left, right, sum);
  }
  c[row * shape.n + col] = sum;
}
