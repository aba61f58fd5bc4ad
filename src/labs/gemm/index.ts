// The GEMM versions of src/kernels/gemm on this device: C = A·B for square sizes, each against its bound from the
// probe's FMA and matrix-unit ceilings, so /device shows how close a matrix product comes to this GPU's limit.
import { gemm as gemmFamily, type GemmShape } from '../../kernels/gemm/index';
import { matrixRefusal } from '../../kernels/matrix/matrix';
import { timePlot } from '../specs';
import type { Lab, LabDevice, LabVariant, SettingsOf } from '../types';
import { verdict } from './verdict';

const MAX_SIZE = 16384;
const MAX_POINTS = 8;
const SEED = 9;

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

/** Every version of the family, by its label; the matrix one only where this device has what it needs. */
export function variantsOf(settings: Pick<GemmSettings, 'versions'>, gpu: LabDevice): LabVariant<GemmShape>[] {
  return gemmFamily.versions
    .filter((version) => settings.versions === 'all' || version.name !== 'naive')
    .filter((version) => version.unit !== 'f16-matrix' || matrixRefusal(gpu.features, gpu.info?.subgroupMatrixConfigs) === null)
    .map((version) => ({ label: version.label, family: gemmFamily, version: version.name, params: { kernel: version.name } }));
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
  points: (settings) => settings.size.map((n) => ({ shape: { m: n, n, k: n }, params: { size: n }, label: `at n=${n}`, seed: SEED + n })),
  variants: variantsOf,
  extra: ({ flops, seconds }) => ({ tflops: flops / seconds / 1e12 }),
  verdict,
  figures: { tflops: 'TFLOP/s', kernel: 'Kernel' },
  plots: [
    timePlot('Time against size, each version with its bound', { field: 'params.size', label: 'Size n' }),
    {
      id: 'fraction',
      title: 'Share of the bound reached',
      x: { field: 'params.size', label: 'Size n', log: true },
      y: { field: 'fractionOfBound', label: 'Fraction of the bound' },
      guides: [{ label: 'the bound', fn: () => 1 }],
    },
  ],
};
