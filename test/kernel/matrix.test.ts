import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../../src/kernels/gpu/f16';
import { Random } from '../../src/kernels/gpu/random';
import {
  bytes,
  CHAINS_PER_SUBGROUP,
  prepareMatrix,
  flops,
  MAX_ITERATIONS,
  matrixGrid,
  matrixInputs,
  matrixRefusal,
  subgroupsPerWorkgroup,
  TILE_ELEMENTS,
  type MatrixInputs,
} from '../../src/kernels/matrix/matrix';
import { matrixReference } from '../../src/kernels/matrix/matrix.reference';

// The kernel against the CPU on a GPU with subgroup matrices, at odd subgroup counts and the exact-output bound, is
// the conformance test's (the matrix family's examples).

describe('matrix kernel arithmetic', () => {
  it('counts 2·16·16·16 FLOPs per multiply-accumulate and one f32 tile per chain', () => {
    // 3 subgroups × 8 chains × 4 steps = 96 multiply-accumulates of 8192 FLOPs; 24 tiles of 1 KiB.
    expect(flops({ subgroups: 3, iterations: 4 })).toBe(786432);
    expect(bytes({ subgroups: 3, iterations: 4 })).toBe(24576);
  });

  it('fills 128-invocation workgroups with the largest subgroups and spills a large grid into rows', () => {
    expect(subgroupsPerWorkgroup(32)).toBe(4);
    expect(subgroupsPerWorkgroup(64)).toBe(2);
    expect(() => subgroupsPerWorkgroup(48)).toThrow(/divide 128/);
    expect(matrixGrid(37, 32)).toEqual({ x: 10, y: 1 });
    expect(matrixGrid(4 * 32768 + 5, 32)).toEqual({ x: 32768, y: 2 });
  });

  it('refuses a device without subgroup matrices, shader-f16 or the f16 → f32 16×16×16 configuration, in words', () => {
    expect(matrixRefusal(new Set(['shader-f16']))).toMatch(/does not offer subgroup matrices.*chromium-experimental-subgroup-matrix/);
    expect(matrixRefusal(new Set(['chromium-experimental-subgroup-matrix']))).toMatch(/16-bit floats.*shader-f16/);
    const both = new Set(['chromium-experimental-subgroup-matrix', 'shader-f16']);
    const apple = [{ componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 }];
    expect(matrixRefusal(both, apple)).toMatch(/do not include f16 tiles with f32 results at 16×16×16 \(it offers: f16→f32 8×8×8\)/);
    expect(matrixRefusal(both, [...apple, { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }])).toBeNull();
    expect(matrixRefusal(both)).toBeNull();
  });

  it('draws inputs that are exact in f16 and multiples of 1/16', () => {
    const inputs = matrixInputs(new Random(7), 2, 3);
    expect(inputs.tiles.length).toBe(2 * 2 * TILE_ELEMENTS);
    expect(inputs.starts.length).toBe(3 * TILE_ELEMENTS);
    for (const bits of inputs.tiles) {
      const value = fromHalfBits(bits);
      expect(toHalfBits(value)).toBe(bits);
      expect([1, 2, 3, 4]).toContain(value * 16);
    }
    for (const value of inputs.starts) expect(Number.isInteger(value * 16) && value > 0 && value <= 1).toBe(true);
  });

  it('refuses an iteration count that is not a multiple of 4 or past the exact bound, before it touches the device', () => {
    const inputs = matrixInputs(new Random(1), 1, 1);
    const untouched = {} as GPUDevice;
    expect(() => prepareMatrix(untouched, { subgroups: 1, iterations: 6 }, inputs, 32)).toThrow(/multiple of 4/);
    expect(() => prepareMatrix(untouched, { subgroups: 1, iterations: MAX_ITERATIONS + 4 }, inputs, 32)).toThrow(/up to 65532/);
  });

  it('reference: a hand-computed case', () => {
    // One pair: A = I/4, B[k][c] = (k + c)/16, so A·B = B/4; two start tiles, s (row r, column c) = (r + 1)/16 · (s + 1).
    const tiles = new Uint16Array(2 * TILE_ELEMENTS);
    for (let r = 0; r < 16; r++) tiles[r * 16 + r] = toHalfBits(0.25);
    for (let k = 0; k < 16; k++) for (let c = 0; c < 16; c++) tiles[TILE_ELEMENTS + k * 16 + c] = toHalfBits((k + c) / 16);
    const starts = new Float32Array(2 * TILE_ELEMENTS);
    for (let s = 0; s < 2; s++) for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) starts[s * TILE_ELEMENTS + r * 16 + c] = ((r + 1) / 16) * (s + 1);
    const inputs: MatrixInputs = { tiles, starts };
    // The reference for listed subgroups is those subgroups' slices of the whole.
    const whole = matrixReference(inputs, { subgroups: 40, iterations: 8 });
    const tile = CHAINS_PER_SUBGROUP * TILE_ELEMENTS;
    expect(matrixReference(inputs, { subgroups: 40, iterations: 8 }, [3, 39])).toEqual(Float64Array.from([...whole.subarray(3 * tile, 4 * tile), ...whole.subarray(39 * tile, 40 * tile)]));
    const out = matrixReference(inputs, { subgroups: 1, iterations: 8 });
    expect(out.length).toBe(CHAINS_PER_SUBGROUP * TILE_ELEMENTS);
    // Chain 0 starts from tile 0: (r + 1)/16 + 8 · (r + c)/64.
    expect(out[0]).toBe(1 / 16);
    expect(out[3 * 16 + 5]).toBe(4 / 16 + (8 * 8) / 64);
    // Chain 3 starts from tile 3 mod 2 = 1: 2 (r + 1)/16 + 8 · (r + c)/64.
    expect(out[3 * TILE_ELEMENTS + 15 * 16 + 15]).toBe(32 / 16 + (8 * 30) / 64);
  });
});
