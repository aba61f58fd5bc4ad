// LoRA's layer, y = xW + s·(xA)B, and its gradients, as steps of GEMMs (src/kernels/gemm) on named matrices: one
// list per variant, from which both the cost (before anything runs) and the run are made, so they cannot differ.
import { bytes as gemmBytes, flops as gemmFlops, splitsOf, type GemmShape, type GemmVersion } from '../gemm/gemm';

export interface LoraDims {
  tokens: number;
  dIn: number;
  dOut: number;
  rank: number;
}

/** x (T, d_in), W (d_in, d_out), A (d_in, r), B (r, d_out), dY (T, d_out) and what the variants make from them. */
export type Matrix = 'x' | 'W' | 'A' | 'B' | 'dY' | 'h' | 'u' | 'y' | 'M' | 'merged' | 'G' | 'P' | 'dA' | 'dB';

export function sizeOf(matrix: Matrix, { tokens, dIn, dOut, rank }: LoraDims): [rows: number, cols: number] {
  const sizes: Record<Matrix, [number, number]> = {
    x: [tokens, dIn],
    W: [dIn, dOut],
    A: [dIn, rank],
    B: [rank, dOut],
    dY: [tokens, dOut],
    h: [tokens, rank],
    u: [tokens, dOut],
    y: [tokens, dOut],
    M: [dIn, dOut],
    merged: [dIn, dOut],
    G: [tokens, rank],
    P: [dIn, dOut],
    dA: [dIn, rank],
    dB: [rank, dOut],
  };
  return sizes[matrix];
}

export type Step =
  | { kind: 'gemm'; shape: GemmShape; a: Matrix; b: Matrix; c: Matrix; a2?: Matrix; b2?: Matrix }
  | { kind: 'add'; x: Matrix; y: Matrix; scale: number };

export const VARIANTS = ['base', 'unmerged', 'fused', 'x(AB)', 'merge', 'merged', 'backward', 'backward, xᵀ·dY first'] as const;
export type Variant = (typeof VARIANTS)[number];
export const FORWARD: readonly Variant[] = ['base', 'unmerged', 'fused', 'x(AB)', 'merge', 'merged'];

const gemm = (shape: GemmShape, a: Matrix, b: Matrix, c: Matrix, second?: [Matrix, Matrix]): Step => ({
  kind: 'gemm',
  shape,
  a,
  b,
  c,
  ...(second && { a2: second[0], b2: second[1] }),
});

/** The steps a variant times (the backward ones use h = xA and the merged one W′, made beforehand by `before`). */
export function stepsOf(variant: Variant, { tokens: T, dIn, dOut, rank: r }: LoraDims, scale: number): Step[] {
  const base = gemm({ m: T, n: dOut, k: dIn }, 'x', 'W', 'y');
  const down = gemm({ m: T, n: r, k: dIn }, 'x', 'A', 'h');
  // s·AB as a GEMM with no first product (k = 0) and the adapter as its second.
  const product = (c: Matrix, s: number) => gemm({ m: dIn, n: dOut, k: 0, second: { k: r, scale: s } }, 'A', 'B', c, ['A', 'B']);
  switch (variant) {
    case 'base':
      return [base];
    case 'unmerged':
      return [base, down, gemm({ m: T, n: dOut, k: r }, 'h', 'B', 'u'), { kind: 'add', x: 'u', y: 'y', scale }];
    case 'fused':
      return [down, gemm({ m: T, n: dOut, k: dIn, second: { k: r, scale } }, 'x', 'W', 'y', ['h', 'B'])];
    case 'x(AB)':
      // The scale goes into M = s·AB, so the d_in-deep second product runs unscaled (and its blocks can be copied).
      return [product('M', scale), gemm({ m: T, n: dOut, k: dIn, second: { k: dIn, scale: 1 } }, 'x', 'W', 'y', ['x', 'M'])];
    case 'merge':
      return [product('merged', scale), { kind: 'add', x: 'W', y: 'merged', scale: 1 }];
    case 'merged':
      return [gemm({ m: T, n: dOut, k: dIn }, 'x', 'merged', 'y')];
    case 'backward':
      return [
        gemm({ m: r, n: dOut, k: T, transA: true }, 'h', 'dY', 'dB'),
        gemm({ m: T, n: r, k: dOut, transB: true }, 'dY', 'B', 'G'),
        gemm({ m: dIn, n: r, k: T, transA: true }, 'x', 'G', 'dA'),
      ];
    case 'backward, xᵀ·dY first':
      return [
        gemm({ m: dIn, n: dOut, k: T, transA: true }, 'x', 'dY', 'P'),
        gemm({ m: dIn, n: r, k: dOut, transB: true }, 'P', 'B', 'dA'),
        gemm({ m: r, n: dOut, k: dIn, transA: true }, 'A', 'P', 'dB'),
      ];
  }
}

/** Untimed steps a variant needs first: W′ for the merged layer, h = xA for the backward ones. */
export function before(variant: Variant, dims: LoraDims, scale: number): Step[] {
  if (variant === 'merged') return stepsOf('merge', dims, scale);
  if (variant.startsWith('backward')) return [stepsOf('fused', dims, scale)[0]!];
  return [];
}

/** The matrices a variant's result is checked on. */
export function outputsOf(variant: Variant): Matrix[] {
  if (variant === 'merge') return ['merged'];
  if (variant.startsWith('backward')) return ['dA', 'dB'];
  return ['y'];
}

/** FLOPs, the bytes every step moves (each GEMM its operands once and its result once; an add three passes), dispatches. */
export function costOf(steps: Step[], dims: LoraDims, version: GemmVersion, elementBytes: number): { flops: number; bytes: number; dispatches: number } {
  let flops = 0;
  let bytes = 0;
  let dispatches = 0;
  for (const step of steps) {
    if (step.kind === 'gemm') {
      flops += gemmFlops(step.shape);
      bytes += gemmBytes(step.shape, elementBytes === 2 ? 'f16' : 'f32');
      dispatches += splitsOf(step.shape, version) > 1 ? 2 : 1;
    } else {
      const [rows, cols] = sizeOf(step.y, dims);
      flops += 2 * rows * cols;
      bytes += 3 * elementBytes * rows * cols;
      dispatches += 1;
    }
  }
  return { flops, bytes, dispatches };
}
