// The matrix-chain calculator: the textbook example, LoRA's chain, and the messages for bad input.
import { describe, expect, it } from 'vitest';
import { chainOrders, parseChain } from '../../src/lib/matrix-chain';

describe('the order of a matrix chain', () => {
  it('finds the textbook optimum (CLRS 15.2: 15125 scalar multiplications for 30,35,15,5,10,20,25)', () => {
    const dims = [30, 35, 15, 5, 10, 20, 25];
    const chain = dims.slice(0, -1).map((rows, i) => ({ name: `A${i + 1}`, rows, cols: dims[i + 1]! }));
    const orders = chainOrders(chain);
    expect(orders.cheapest.flops).toBe(2 * 15125);
    expect(orders.cheapest.expression).toBe('(A1·(A2·A3))·((A4·A5)·A6)');
    expect(orders.bracketings).toBe(42);
    expect(orders.dearest.flops).toBeGreaterThan(orders.cheapest.flops);
  });

  it("keeps LoRA's rank inside: (x·A)·B at 4Tdr against x·(A·B)", () => {
    const orders = chainOrders(parseChain('x 4096×4096, A 4096×16, B 16×4096'));
    expect(orders.cheapest).toEqual({ flops: 4 * 4096 * 4096 * 16, expression: '(x·A)·B' });
    expect(orders.dearest).toEqual({ flops: 2 * 4096 * 16 * 4096 + 2 * 4096 ** 3, expression: 'x·(A·B)' });
  });

  it('reads shapes written with × or x, and names what is wrong', () => {
    expect(parseChain('A: 2x3\nB 3×4')).toEqual([
      { name: 'A', rows: 2, cols: 3 },
      { name: 'B', rows: 3, cols: 4 },
    ]);
    expect(() => parseChain('A 2×3')).toThrow(/at least two/);
    expect(() => parseChain('A 2×3, B three by four')).toThrow(/Matrix 2/);
    expect(() => chainOrders(parseChain('A 2×3, B 4×5'))).toThrow(/A has 3 columns but B has 4 rows/);
  });
});
