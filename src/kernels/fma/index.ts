// The FMA-chain family on the kernel interface (src/kernels/family.ts): 16 dependent chains x = fma(x, a, b) a
// thread, the probe's FMA rates. Versions (fma.wgsl, one kernel in two precisions): f32 on the FP32 units, f16 where
// the device offers shader-f16 (its seeds and output stay f32 words in memory); knob: threads a workgroup. The check
// reads an even spread of threads, the last among them.
import { spreadRows, type KernelFamily, type KernelVersion } from '../family';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { bindFma, bytes, DEFAULT_WORKGROUP_SIZE, flops, fmaGrid, fmaInputs, fmaParams, fmaShapeProblem, type FmaInputs, type FmaPrecision, type FmaShape } from './fma';
import { fmaReference } from './fma.reference';

/** The inputs, and the precision they were drawn for (f16 chains need a smaller multiplier). */
export type FmaRunInputs = FmaInputs & { precision: FmaPrecision };

/** Threads a check reads: all of a small grid, an even spread of a large one. */
const CHECKED_THREADS = 2048;
/** f32 chains match a fused CPU evaluation closely; f16 rounds each step to 11 bits. */
const TOLERANCE: Record<FmaPrecision, number> = { f32: 1e-4, f16: 1e-2 };

const knobs = { workgroupSize: [DEFAULT_WORKGROUP_SIZE, 64, 128] };

export const fmaVersions = [
  { name: 'f32', label: 'FMA chains, f32', unit: 'fp32', element: 'f32', knobs },
  { name: 'f16', label: 'FMA chains, f16', unit: 'f16', element: 'f32', knobs },
] as const satisfies readonly KernelVersion[];

const precisionOf = (version: KernelVersion) => version.name as FmaPrecision;

export const fma: KernelFamily<FmaShape, FmaRunInputs> = {
  id: 'fma',
  versions: fmaVersions,
  examples: [
    { threads: 1000, iterations: 128 },
    { threads: 333, iterations: 64 },
  ],
  shapeOf: ({ threads, iterations = 512 }) => {
    if (!threads) throw new Error('an FMA shape takes threads, and iterations (steps of each chain, a multiple of 64; default 512)');
    return { threads, iterations };
  },
  inputs: (_shape, random, version) => ({ ...fmaInputs(random, precisionOf(version)), precision: precisionOf(version) }),
  buffers(alloc, shape, inputs, _version, knobs) {
    return {
      params: alloc.from(fmaParams(shape, inputs, knobs['workgroupSize']), GPUBufferUsage.UNIFORM, 'fma params'),
      seeds: alloc.from(inputs.seeds, GPUBufferUsage.STORAGE, 'fma seeds'),
      output: alloc.empty(4 * shape.threads, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'fma output'),
    };
  },
  // output: (threads) f32, each thread's sum of its chains: a row a thread.
  rows: (shape) => ({ count: shape.threads, length: 1, checked: spreadRows(shape.threads, CHECKED_THREADS) }),
  reference: (inputs, shape, rows) => fmaReference(inputs, shape.iterations, inputs.precision, rows),
  tolerance: (version) => ({ tolerance: TOLERANCE[precisionOf(version)] }),
  cost: (shape) => ({ flops: flops(shape), bytes: bytes(shape), dispatches: 1 }),
  refusal(device, shape, version, knobs) {
    if (precisionOf(version) === 'f16' && !device.features.has('shader-f16')) return "this device does not offer 16-bit floats in shaders (the 'shader-f16' feature)";
    const workgroupSize = knobs['workgroupSize'] ?? DEFAULT_WORKGROUP_SIZE;
    return firstRefusal(
      fmaShapeProblem(shape),
      checkBuffer(device.limits, 4 * shape.threads, 'the FMA output'),
      checkWorkgroups(device.limits, fmaGrid(shape.threads, workgroupSize).y, 'the FMA grid’s rows'),
      checkWorkgroupSize(device.limits, workgroupSize, 0, 'the FMA workgroup'),
    );
  },
  prepare(device, shape, buffers, version, knobs) {
    const kernel = bindFma(device, shape, { params: buffers['params']!, seeds: buffers['seeds']!, output: buffers['output']! }, precisionOf(version), knobs['workgroupSize']);
    return { ...kernel, output: { buffer: buffers['output']!, element: 'f32' } };
  },
};
