// The LoRA family's chains (src/kernels/lora/chain.ts): every GEMM's operands have the shapes its matrices have,
// and the cost of each order is the cost model of the LoRA note (FLOPs of the chain in each order).
import { describe, expect, it } from 'vitest';
import { before, costOf, sizeOf, stepsOf, VARIANTS, type LoraDims } from '../../src/kernels/lora/chain';

const dims: LoraDims = { tokens: 96, dIn: 40, dOut: 56, rank: 8 };

describe('the LoRA chain', () => {
  for (const variant of VARIANTS) {
    it(`${variant}: every step's operands have the shapes of its matrices`, () => {
      for (const step of [...before(variant, dims, 2), ...stepsOf(variant, dims, 2)]) {
        if (step.kind === 'add') {
          expect(sizeOf(step.x, dims)).toEqual(sizeOf(step.y, dims));
          continue;
        }
        const { m, n, k, transA, transB, second } = step.shape;
        if (k > 0) {
          expect(sizeOf(step.a, dims)).toEqual(transA ? [k, m] : [m, k]);
          expect(sizeOf(step.b, dims)).toEqual(transB ? [n, k] : [k, n]);
        }
        expect(sizeOf(step.c, dims)).toEqual([m, n]);
        if (second) {
          expect(sizeOf(step.a2!, dims)).toEqual([m, second.k]);
          expect(sizeOf(step.b2!, dims)).toEqual([second.k, n]);
        }
      }
    });
  }

  it("costs what the note's model says: 4Tdr more for (xA)B, 2Td² + 2d²r more for x(AB)", () => {
    const square: LoraDims = { tokens: 4096, dIn: 4096, dOut: 4096, rank: 16 };
    const flops = (variant: (typeof VARIANTS)[number]) => costOf(stepsOf(variant, square, 2), square, 'tiled', 4).flops;
    const [T, d, r] = [4096, 4096, 16];
    expect(flops('base')).toBe(2 * T * d * d);
    expect(flops('fused')).toBe(2 * T * d * d + 4 * T * d * r);
    expect(flops('x(AB)')).toBe(4 * T * d * d + 2 * d * d * r);
    expect(flops('backward')).toBe(6 * T * d * r);
    expect(flops('backward, xᵀ·dY first')).toBe(2 * T * d * d + 4 * d * d * r);
    // The unfused chain adds an elementwise pass over y.
    expect(flops('unmerged')).toBe(flops('fused') + 2 * T * d);
  });

  it('counts a second dispatch for each GEMM whose K is split (the narrow x·A)', () => {
    const square: LoraDims = { tokens: 4096, dIn: 4096, dOut: 4096, rank: 16 };
    expect(costOf(stepsOf('base', square, 2), square, 'tiled', 4).dispatches).toBe(1);
    expect(costOf(stepsOf('fused', square, 2), square, 'tiled', 4).dispatches).toBe(3);
  });
});
