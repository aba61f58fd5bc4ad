// The matrix-chain calculator: the textbook example, LoRA's chain, and the messages for bad input.
import { describe, expect, it } from 'vitest';
import { chainOrders, formatFlops, formatRatio, parseChain } from '../../src/lib/matrix-chain';

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
    expect(() => parseChain('x -5×4096, A 4096×16')).toThrow(/Matrix 1/);
    expect(() => parseChain('x 4.5×3, A 3×2')).toThrow(/whole-number/);
    expect(() => parseChain('A 2×3 B 3×4')).toThrow(/commas/);
    expect(parseChain('2×3, 3×4').map((m) => m.name)).toEqual(['M1', 'M2']);
  });

  it('writes FLOPs and ratios for people', () => {
    expect(formatFlops(60)).toBe('60 FLOP');
    expect(formatFlops(1.07e9)).toBe('1.07 GFLOP');
    expect(formatFlops(4e18)).toBe('4.00 EFLOP');
    expect(formatRatio(129.1)).toBe('129×');
    expect(formatRatio(1024)).toBe('1,024×');
  });
});
