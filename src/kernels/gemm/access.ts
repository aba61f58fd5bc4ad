// The storage side of the tiled GEMMs (tiled.wgsl, matrix.wgsl), written once here for every operand: the
// buffers a (binding 1), b (2), c (3), a2 (4), b2 (5) of element E, and
//   read4_<x>(row, col, rows, cols) -> vec4<E>: stored row `row`, columns col..col+3, zeros past the edges, of the
//   workgroup's batch entry (blocks.wgsl's `entry`: the operand's entries are rows × cols each, stacked);
//   write4_c(base, row, col, value: vec4f): C's row `row`, columns col..col+3, those inside C, `base` elements on
//   (a split's partial C).
// Where every stored row is a multiple of 4 elements long (and so every col the kernels ask for is one of 4),
// each is one vec4 access; otherwise four guarded scalar ones.

export type Element = 'f32' | 'f16';

const INPUTS = [
  ['a', 1],
  ['b', 2],
  ['a2', 4],
  ['b2', 5],
] as const;

function vectorRead(name: string): string {
  return `fn read4_${name}(row: u32, col: u32, rows: u32, cols: u32) -> vec4<E> {
  if (row < rows && col < cols) {
    return ${name}[((entry * rows + row) * cols + col) / 4u];
  }
  return vec4<E>();
}`;
}

function scalarRead(name: string): string {
  return `fn read4_${name}(row: u32, col: u32, rows: u32, cols: u32) -> vec4<E> {
  var v = vec4<E>();
  if (row < rows) {
    for (var i = 0u; i < 4u; i++) {
      if (col + i < cols) {
        v[i] = ${name}[(entry * rows + row) * cols + col + i];
      }
    }
  }
  return v;
}`;
}

const vectorWrite = `fn write4_c(base: u32, row: u32, col: u32, value: vec4f) {
  if (row < shape.m && col < shape.n) {
    c[(base + row * shape.n + col) / 4u] = vec4<E>(value);
  }
}`;

const scalarWrite = `fn write4_c(base: u32, row: u32, col: u32, value: vec4f) {
  if (row < shape.m) {
    for (var i = 0u; i < 4u; i++) {
      if (col + i < shape.n) {
        c[base + row * shape.n + col + i] = E(value[i]);
      }
    }
  }
}`;

/** The WGSL declarations and functions above, vec4 at a time when `vectors`. */
export function storageAccess(element: Element, vectors: boolean): string {
  const type = vectors ? 'vec4<E>' : 'E';
  const lines = [`alias E = ${element};`];
  for (const [name, binding] of INPUTS) {
    lines.push(`@group(0) @binding(${binding}) var<storage, read> ${name}: array<${type}>;`);
  }
  lines.push(`@group(0) @binding(3) var<storage, read_write> c: array<${type}>;`);
  for (const [name] of INPUTS) lines.push(vectors ? vectorRead(name) : scalarRead(name));
  lines.push(vectors ? vectorWrite : scalarWrite);
  return lines.join('\n') + '\n';
}
