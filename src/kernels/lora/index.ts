// The LoRA family on the kernel interface (src/kernels/family.ts): a frozen layer y = xW (x: (T, d_in), W: (d_in,
// d_out)) with a rank-r adapter beside it, y = xW + s·(xA)B (A: (d_in, r), B: (r, d_out)), and the adapter's
// gradients from dY (T, d_out). Each version is one order of the chain (chain.ts), its steps the GEMMs of
// src/kernels/gemm:
//   base                    the frozen layer alone, xW
//   unmerged                xW, xA and (xA)B as three GEMMs, then an add
//   fused                   xA, then one GEMM whose epilogue adds s·(xA)B to xW
//   x(AB)                   the wrong order: AB first (d_in × d_out), then xW + s·x(AB) in one GEMM
//   merge                   folding the adapter into the weight once, W′ = W + s·AB
//   merged                  the layer with the merged weight, xW′ (W′ made once when prepared, untimed)
//   backward                the gradients with r inside: dB = (xA)ᵀdY, dA = xᵀ(dY·Bᵀ) (xA made once when prepared)
//   backward, xᵀ·dY first   the same through the d_in × d_out matrix xᵀdY: dA = (xᵀdY)Bᵀ, dB = Aᵀ(xᵀdY)
// each in f32 on the FMA units (the tiled GEMM) and, named `…, f16`, in f16 on the matrix units (the subgroup-matrix
// GEMM, f32 sums). Its GEMMs run at their default blocks: the family has no knobs. Each version is checked on what
// it writes: y (xW for base), W′, or dA and dB. Measured numbers stay in the GEMM's WGSL headers and the LoRA note.
import type { KernelFamily, KernelResult, KernelVersion } from '../family';
import { elementBytes, gemmRefusal, prepareGemm, prepareScaledAdd, type GemmVersion } from '../gemm/gemm';
import { roundedToHalf, toHalfArray } from '../gpu/f16';
import { inSequence } from '../gpu/pipelines';
import type { Random } from '../gpu/random';
import { submitOnce } from '../gpu/timing';
import { before, costOf, outputsOf, sizeOf, stepsOf, VARIANTS, type LoraDims, type Matrix, type Step, type Variant } from './chain';
import { dARows, dBRows, mergedRows, yRows, type LoraInputs } from './lora.reference';

export type { LoraInputs } from './lora.reference';

/** T tokens, d_in, d_out and rank r, and the adapter's scale s = α/r. */
export interface LoraShape extends LoraDims {
  scale: number;
}

type Element = 'f32' | 'f16';

/** The version of `variant` in `element`: the variant's own name in f32, `<variant>, f16` in f16. */
export const loraVersionName = (variant: Variant, element: Element): string => (element === 'f16' ? `${variant}, f16` : variant);

/** The GEMM each step runs: tiled on the FMA units in f32, on the matrix units in f16. */
export const gemmVersionOf = (element: Element): GemmVersion => (element === 'f16' ? 'matrix' : 'tiled');

export const loraVersions: readonly KernelVersion[] = (['f32', 'f16'] as const).flatMap((element) =>
  VARIANTS.map((variant) => ({ name: loraVersionName(variant, element), label: `${variant}, ${element}`, unit: element === 'f16' ? 'f16-matrix' : 'fp32', element, knobs: {} }) as const),
);

/** The variant (the order of the chain) a version runs. */
export function variantOf(version: KernelVersion): Variant {
  return VARIANTS.find((variant) => loraVersionName(variant, version.element) === version.name)!;
}

/** Every step a version runs: those made once when it is prepared, then those it times. */
const allSteps = (variant: Variant, shape: LoraShape): Step[] => [...before(variant, shape, shape.scale), ...stepsOf(variant, shape, shape.scale)];

const INPUTS: readonly (keyof LoraInputs)[] = ['x', 'W', 'A', 'B', 'dY'];

/**
 * What a version writes and is checked on, with its reference. y with the adapter is the same result in every
 * order (so its reference is made once a point); base's y is xW alone.
 */
function resultOf(variant: Variant, matrix: Matrix, shape: LoraShape): KernelResult<LoraShape, LoraInputs> {
  const [count, length] = sizeOf(matrix, shape);
  const rows = { count, length };
  if (matrix === 'merged') return { name: 'merged', rows, reference: (inputs, at, checked) => mergedRows(inputs, at, at.scale, checked) };
  if (matrix === 'dA') return { name: 'dA', rows, reference: (inputs, at, checked) => dARows(inputs, at, checked) };
  if (matrix === 'dB') return { name: 'dB', rows, reference: (inputs, at, checked) => dBRows(inputs, at, checked) };
  const adapter = variant !== 'base';
  return { name: adapter ? 'y' : 'xW', rows, reference: (inputs, at, checked) => yRows(inputs, at, at.scale, checked, adapter) };
}

/** One step on the matrices' buffers, with the GEMM of the version's element. */
function prepareStep(device: GPUDevice, step: Step, buffers: Record<string, GPUBuffer>, version: GemmVersion, element: Element, shape: LoraShape) {
  if (step.kind === 'add') {
    const [rows, cols] = sizeOf(step.y, shape);
    return prepareScaledAdd(device, element, rows * cols, { x: buffers[step.x]!, y: buffers[step.y]! }, step.scale);
  }
  const { a, b, c, a2, b2 } = step;
  return prepareGemm(device, version, step.shape, { a: buffers[a]!, b: buffers[b]!, c: buffers[c]!, ...(a2 && b2 && { a2: buffers[a2]!, b2: buffers[b2]! }) });
}

/**
 * Errors are taken relative to the largest value in the rows checked: the rounding of a result (and of the
 * intermediates an order makes, xW before the adapter's share is added, say) goes with the size of what was
 * summed, not of an entry that cancelled to near zero. f32 sums of a few thousand terms stay far under 1e-4; in
 * f16 every operand, intermediate and result carries up to 2^-11 of it, and a chain rounds up to three times.
 */
const TOLERANCE = { f32: 1e-4, f16: 3e-3 };

export const lora: KernelFamily<LoraShape, LoraInputs> = {
  id: 'lora',
  versions: loraVersions,
  examples: [
    // A few rows (the GEMMs' matrix–vector kernel for xW), then odd sizes, then d_in deep enough that xA splits K.
    { tokens: 3, dIn: 72, dOut: 40, rank: 4, scale: 2 },
    { tokens: 37, dIn: 33, dOut: 45, rank: 5, scale: 0.5 },
    { tokens: 6, dIn: 520, dOut: 24, rank: 3, scale: 2 },
  ],
  shapeOf: ({ tokens, dIn, dOut, rank = 16, scale = 2 }) => {
    if (!tokens || !dIn) throw new Error('a LoRA shape takes tokens and dIn, and dOut, rank and scale (defaults d_in, 16 and 2)');
    return { tokens, dIn, dOut: dOut ?? dIn, rank, scale };
  },
  inputs(shape, random: Random, version) {
    const gaussian = (matrix: keyof LoraInputs, std: number) => {
      const [rows, cols] = sizeOf(matrix, shape);
      const values = random.fill(new Float32Array(rows * cols), { kind: 'gaussian', mean: 0, std });
      return version.element === 'f16' ? roundedToHalf(values) : values;
    };
    const { dIn, rank } = shape;
    return { x: gaussian('x', 1), W: gaussian('W', 1 / Math.sqrt(dIn)), A: gaussian('A', 1 / Math.sqrt(dIn)), B: gaussian('B', 1 / Math.sqrt(rank)), dY: gaussian('dY', 1) };
  },
  /** Every matrix the version's steps read or write, by name: the inputs filled, the rest (results, intermediates) empty. */
  buffers(alloc, shape, inputs, version) {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const half = version.element === 'f16';
    const matrices = new Set(allSteps(variantOf(version), shape).flatMap((step) => (step.kind === 'add' ? [step.x, step.y] : [step.a, step.b, step.c, ...(step.a2 && step.b2 ? [step.a2, step.b2] : [])])));
    return Object.fromEntries(
      [...matrices].map((matrix) => {
        if (INPUTS.includes(matrix as keyof LoraInputs)) {
          const values = inputs[matrix as keyof LoraInputs];
          return [matrix, alloc.from(half ? toHalfArray(values) : values, usage, matrix)];
        }
        const [rows, cols] = sizeOf(matrix, shape);
        return [matrix, alloc.empty(elementBytes(version.element) * rows * cols, usage, matrix)];
      }),
    );
  },
  /** The family's output: the layer's y (T, d_out) with the adapter. */
  rows: (shape) => ({ count: shape.tokens, length: shape.dOut }),
  reference: (inputs, shape, rows) => yRows(inputs, shape, shape.scale, rows, true),
  resultsOf: (shape, version) => {
    const variant = variantOf(version);
    return outputsOf(variant).map((matrix) => resultOf(variant, matrix, shape));
  },
  tolerance(version, expected) {
    let largest = 0;
    for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]!));
    return { tolerance: TOLERANCE[version.element], floor: largest };
  },
  cost: (shape, version) => costOf(stepsOf(variantOf(version), shape, shape.scale), shape, gemmVersionOf(version.element), elementBytes(version.element)),
  refusal(device, shape, version) {
    for (const step of allSteps(variantOf(version), shape)) {
      const refusal = step.kind === 'gemm' ? gemmRefusal(device, step.shape, gemmVersionOf(version.element)) : null;
      if (refusal) return refusal;
    }
    return null;
  },
  prepare(device, shape, buffers, version) {
    const variant = variantOf(version);
    const element = version.element;
    const chain = (steps: Step[]) => inSequence(steps.map((step) => prepareStep(device, step, buffers, gemmVersionOf(element), element, shape)), {});
    // W′ for the merged layer, xA for the backward ones: made once here, ahead of every run in the queue.
    const setup = chain(before(variant, shape, shape.scale));
    if (setup.dispatches > 0) submitOnce(device, (pass) => setup.encode(pass), `lora ${version.name} setup`);
    const timed = chain(stepsOf(variant, shape, shape.scale));
    const results = Object.fromEntries(outputsOf(variant).map((matrix) => [resultOf(variant, matrix, shape).name, { buffer: buffers[matrix]!, element }]));
    return {
      encode: timed.encode,
      output: Object.values(results)[0]!,
      results,
      dispatches: timed.dispatches,
      destroy() {
        timed.destroy();
        setup.destroy();
      },
    };
  },
};
