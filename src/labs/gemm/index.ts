// The GEMM versions of src/kernels/gemm on this device: C = A·B for square sizes, each against its bound from the
// probe's FMA and matrix-unit ceilings, so /device shows how close a matrix product comes to this GPU's limit.
import { bytes, elementBytes, elementOf, flops, gemmRefusal, prepareGemm, type GemmShape, type GemmVersion } from '../../kernels/gemm/gemm';
import { fromHalfBits, toHalfBits } from '../../kernels/gpu/f16';
import { Random } from '../../kernels/gpu/random';
import type { GpuContext } from '../../kernels/gpu/types';
import { matrixRefusal } from '../../kernels/matrix/matrix';
import type { RunRecord } from '../../schemas/results';
import { checkOutput, matrixDeviceOf, pause, Resources, runOnce, timeRuns, type LabDevice } from '../harness';
import { makeRecord } from '../record';
import { timePlot } from '../specs';
import type { Lab, LabContext, SettingsOf } from '../types';

const MAX_SIZE = 16384;
const MAX_POINTS = 8;
const SEED = 9;
/** Error relative to the largest value of the rows checked (see the LoRA lab): f32 sums, and f16 results rounded once. */
const TOLERANCE = { f32: 1e-4, f16: 2e-3 };

export const VERSION_NAMES: Record<GemmVersion, string> = {
  naive: 'naive, f32',
  tiled: 'tiled, f32',
  matrix: 'subgroup matrices, f16',
};

const params = [
  {
    name: 'size',
    label: 'Sizes (n)',
    kind: 'list',
    integer: true,
    default: '1024, 2048, 4096',
    min: 1,
    max: MAX_SIZE,
    maxLength: MAX_POINTS,
    help: 'C = A·B with A, B and C all n × n.',
  },
  {
    name: 'versions',
    label: 'Versions',
    kind: 'choice',
    default: 'fast',
    choices: [
      { value: 'fast', label: 'tiled f32, and f16 on the matrix units where offered' },
      { value: 'all', label: 'the naive one too' },
    ],
  },
] as const;

export type GemmSettings = SettingsOf<typeof params>;

type Features = Pick<GpuContext, 'features'> & Partial<Pick<GpuContext, 'info'>>;

/** The versions to run: the matrix one only where this device has what it needs. */
export function versionsOf(settings: Pick<GemmSettings, 'versions'>, gpu: Features): GemmVersion[] {
  const wanted: GemmVersion[] = settings.versions === 'all' ? ['naive', 'tiled', 'matrix'] : ['tiled', 'matrix'];
  return wanted.filter((version) => version !== 'matrix' || matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null);
}

const square = (n: number): GemmShape => ({ m: n, n, k: n });

function validate(settings: GemmSettings, gpu: LabDevice): string | null {
  for (const version of versionsOf(settings, gpu)) {
    for (const n of settings.size) {
      const refusal = gemmRefusal(matrixDeviceOf(gpu), square(n), version);
      if (refusal) return `${VERSION_NAMES[version]} at n=${n}: ${refusal}`;
    }
  }
  return null;
}

async function* run(ctx: LabContext, settings: GemmSettings): AsyncIterable<RunRecord> {
  const { device } = ctx.gpu;
  const versions = versionsOf(settings, ctx.gpu);
  const total = versions.length * settings.size.length;
  let done = 0;
  for (const n of settings.size) {
    const shape = square(n);
    const random = new Random(SEED + n);
    const values = { a: random.fill(new Float32Array(n * n), { kind: 'gaussian', mean: 0, std: 1 }), b: random.fill(new Float32Array(n * n), { kind: 'gaussian', mean: 0, std: 1 }) };
    for (const version of versions) {
      ctx.progress(done++, total, `${VERSION_NAMES[version]} at n=${n}`);
      const element = elementOf(version);
      const size = elementBytes(element);
      const gpu = new Resources(ctx, 'gemm');
      try {
        const half = element === 'f16';
        const bits = half ? { a: Uint16Array.from(values.a, toHalfBits), b: Uint16Array.from(values.b, toHalfBits) } : null;
        const a = bits ? Float32Array.from(bits.a, fromHalfBits) : values.a;
        const b = bits ? Float32Array.from(bits.b, fromHalfBits) : values.b;
        const buffers = {
          a: gpu.from(bits?.a ?? a, GPUBufferUsage.STORAGE, 'A'),
          b: gpu.from(bits?.b ?? b, GPUBufferUsage.STORAGE, 'B'),
          c: gpu.empty(Math.ceil((size * n * n) / 4) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'C'),
        };
        const gemm = gpu.own(prepareGemm(device, version, shape, buffers));
        const raw = await runOnce(ctx, gemm.encode, buffers.c, Math.ceil((size * n * n) / 4) * 4, `gemm ${version}`);
        const c = half ? Float32Array.from(new Uint16Array(raw.buffer, raw.byteOffset, n * n), fromHalfBits) : raw;
        // The first and the last row of C against the CPU, in f64.
        const rows = n === 1 ? [0] : [0, n - 1];
        const expected = new Float64Array(rows.length * n);
        rows.forEach((row, r) => {
          for (let k = 0; k < n; k++) for (let col = 0; col < n; col++) expected[r * n + col]! += a[row * n + k]! * b[k * n + col]!;
        });
        const actual = Float32Array.from(rows.flatMap((row) => Array.from(c.subarray(row * n, (row + 1) * n))));
        const largest = expected.reduce((most, value) => Math.max(most, Math.abs(value)), 0);
        const check = checkOutput(actual, expected, { tolerance: TOLERANCE[element], floor: largest }, `gemm ${version} at n=${n}`);
        await pause(ctx.signal);
        const timing = await timeRuns(ctx, check, `The ${VERSION_NAMES[version]} GEMM at n=${n}`, gemm.encode);
        yield makeRecord({
          lab: 'gemm',
          variant: VERSION_NAMES[version],
          params: { size: n, kernel: version },
          timing,
          flops: flops(shape),
          bytes: bytes(shape, element),
          ceilings: ctx.ceilings,
          check,
          unit: half ? 'f16-matrix' : 'fp32',
          extraDispatches: gemm.dispatches - 1,
          extra: { tflops: flops(shape) / timing.seconds.median / 1e12 },
        });
      } finally {
        gpu.destroy();
      }
    }
  }
  ctx.progress(total, total, 'done');
}

/** At the largest size of the run: each version's rate and its share of the ceiling that bounds it. */
function verdict(records: RunRecord[], subject: string): string | null {
  const largest = Math.max(...records.map((record) => Number(record.params['size'])));
  const at = records.filter((record) => record.params['size'] === largest);
  if (at.length === 0) return null;
  const parts = at.map(
    (record) => `the ${record.variant} GEMM at ${(record.achieved.gflops / 1000).toPrecision(3)} TFLOP/s, ${Math.round(100 * record.fractionOfBound)}% of its bound`,
  );
  return `At n=${largest} ${subject} ran ${parts.join(', and ')}.`;
}

export const gemm: Lab<typeof params> = {
  id: 'gemm',
  title: 'GEMM: a matrix product against this GPU\'s ceilings',
  description:
    'Times C = A·B for square matrices with the notebook\'s GEMMs: the tiled f32 one (128×128 blocks of C through ' +
    'workgroup memory, 8×8 outputs a thread) on the FMA units and, where the device offers subgroup matrices, the f16 ' +
    'one on the matrix units (f32 sums). The naive one, one output a thread, is there to compare. The bound is the ' +
    'FLOPs, 2n³, over the ceiling the probe measured for the units the version uses (or the bytes over the bandwidth, ' +
    'for small n). The first and last rows of C are checked against the CPU.',
  params,
  presets: [
    { label: 'n = 1024 to 8192', params: { size: '1024, 2048, 4096, 8192', versions: 'fast' } },
    { label: 'All three versions, n = 2048', params: { size: '2048', versions: 'all' } },
  ],
  quick: { size: '33, 130', versions: 'all' },
  validate,
  cost(settings, gpu) {
    return versionsOf(settings, gpu).flatMap((version) =>
      settings.size.map((n) => ({
        flops: flops(square(n)),
        bytes: bytes(square(n), elementOf(version)),
        unit: version === 'matrix' ? ('f16-matrix' as const) : ('fp32' as const),
        extraDispatches: 1,
      })),
    );
  },
  run,
  verdict,
  figures: { tflops: 'TFLOP/s', kernel: 'Kernel' },
  plots: [
    timePlot('Time against size, each version with its bound', { field: 'params.size', label: 'n' }),
    {
      id: 'fraction',
      title: 'Share of the bound reached',
      x: { field: 'params.size', label: 'n', log: true },
      y: { field: 'fractionOfBound', label: 'fraction of the bound' },
      guides: [{ label: 'the bound', fn: () => 1 }],
    },
  ],
};
