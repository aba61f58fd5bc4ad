// Performers (Choromanski et al., 2020): FAVOR+ approximates softmax attention with m positive random features, so
// attention costs time linear in N. Two sweeps: the speed of FAVOR+ against the notebook's exact tiled attention as
// N grows (src/kernels/favor, src/kernels/attention), and the error it pays against exact attention as m grows,
// with orthogonal and independent features, and as the inputs' scale (a temperature) grows.
import { attention } from '../../kernels/attention/index';
import { fewestBytes } from '../../kernels/attention/cost';
import { favorBytes, favorFlops } from '../../kernels/favor/favor';
import type { FeatureKind } from '../../kernels/favor/features';
import { favor, type FavorRun } from '../../kernels/favor/index';
import { timePlot } from '../specs';
import type { Lab, LabPoint, LabVariant, SettingsOf } from '../types';
import { accuracyOf } from './accuracy';
import { verdict } from './verdict';

const MAX_SEQ_LEN = 65536;
const MAX_FEATURES = 4096;
const MAX_POINTS = 10;
const SEED = 21;
const KINDS: FeatureKind[] = ['orthogonal', 'independent'];
const EXACT = 'exact (tiled)';
const FAVOR = 'FAVOR+';

const params = [
  {
    name: 'sweeps',
    label: 'Sweeps',
    kind: 'choice',
    default: 'both',
    choices: [
      { value: 'both', label: 'speed and accuracy' },
      { value: 'speed', label: 'speed: FAVOR+ against exact attention over N' },
      { value: 'accuracy', label: 'accuracy: the error over m and over the inputs\' scale' },
    ],
  },
  {
    name: 'seqLen',
    label: 'Sequence lengths (N)',
    help: 'For the speed sweep.',
    kind: 'list',
    integer: true,
    default: '1024, 4096, 16384',
    min: 1,
    max: MAX_SEQ_LEN,
    maxLength: MAX_POINTS,
    unit: 'tokens',
  },
  { name: 'heads', label: 'Heads (H)', kind: 'int', default: 8, min: 1, max: 64 },
  {
    name: 'headDim',
    label: 'Head dimension (d)',
    kind: 'choice',
    default: '64',
    choices: [
      { value: '64', label: '64' },
      { value: '128', label: '128' },
    ],
  },
  { name: 'features', label: 'Features (m)', kind: 'int', default: 256, min: 1, max: MAX_FEATURES, help: 'For the speed sweep and the scale sweep.' },
  {
    name: 'featureSweep',
    label: 'Feature sweep (m)',
    help: 'For the accuracy sweep.',
    kind: 'list',
    integer: true,
    default: '16, 64, 256, 1024',
    min: 1,
    max: MAX_FEATURES,
    maxLength: MAX_POINTS,
  },
  { name: 'accuracyLength', label: 'Accuracy at N', kind: 'int', default: 1024, min: 1, max: 16384, unit: 'tokens' },
  {
    name: 'scales',
    label: 'Input scales',
    kind: 'list',
    default: '0.5, 1, 1.5, 2',
    min: 0.01,
    max: 8,
    maxLength: MAX_POINTS,
    help: 'q and k multiplied by this: larger scales make attention more peaked, where random features do worse.',
  },
] as const;

export type PerformerSettings = SettingsOf<typeof params>;

const speedOn = (settings: PerformerSettings) => settings.sweeps !== 'accuracy';
const accuracyOn = (settings: PerformerSettings) => settings.sweeps !== 'speed';
const ascending = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);

/**
 * The speed sweep's lengths, each run exactly and with FAVOR+ (m features, orthogonal), then for each kind of features
 * the accuracy sweep's m and scales at one length. A point's inputs are drawn from SEED + N, as exact attention's are.
 */
function pointsOf(settings: PerformerSettings): LabPoint<FavorRun & { causal: false }>[] {
  const { heads } = settings;
  const headDim = Number(settings.headDim);
  const point = (seqLen: number, features: number, kind: FeatureKind, scale: number, variants: string[], label: string) => ({
    shape: { batch: 1, heads, seqLen, headDim, features, kind, scale, causal: false as const },
    params: { seqLen, heads, headDim, features, kind, scale },
    label,
    seed: SEED + seqLen,
    variants,
  });
  const n = settings.accuracyLength;
  return [
    ...(speedOn(settings) ? ascending(settings.seqLen).map((seqLen) => point(seqLen, settings.features, 'orthogonal', 1, [EXACT, FAVOR], `at N=${seqLen}`)) : []),
    ...(accuracyOn(settings)
      ? KINDS.flatMap((kind) => [
          ...ascending(settings.featureSweep).map((m) => point(n, m, kind, 1, [kind], `at m=${m}`)),
          ...ascending(settings.scales).map((scale) => point(n, settings.features, kind, scale, [`${kind}, scaled`], `at scale ${scale}`)),
        ])
      : []),
  ];
}

/** FAVOR+ is judged against the attention it approximates: its own FLOPs, exact attention's fewest bytes. */
const judged = ({ shape }: LabPoint<FavorRun>) => ({ flops: favorFlops(shape), bytes: fewestBytes({ ...shape, causal: false }, 4) });

/** Exact tiled attention, the baseline, and FAVOR+ under each sweep's name. */
const variants: LabVariant[] = [
  { label: EXACT, family: attention, version: 'tiled', baseline: true },
  ...[FAVOR, ...KINDS.flatMap((kind) => [kind, `${kind}, scaled`])].map((label) => ({ label, family: favor, version: 'favor', cost: judged })),
];

export const performer: Lab<typeof params> = {
  id: 'performer',
  title: 'Performers: FAVOR+ against exact attention',
  description:
    'FAVOR+ replaces softmax attention with m positive random features: φ(x) = exp(ωᵀx − ‖x‖²/2)/√m for each of m ' +
    'random vectors ω, and attention becomes φ(Q)(φ(K)ᵀV), normalized, which costs time linear in N instead of ' +
    'quadratic. Its four matrix products run on this notebook\'s f32 matrix product; the exact side is its tiled ' +
    'attention kernel. The speed sweep times both as N grows, against their bounds. The accuracy sweep measures how ' +
    'far FAVOR+\'s output is from exact attention (relative error over 64 rows, mean and spread over five draws of ' +
    'the features, computed in float64 on the CPU), with orthogonal features (blocks of orthogonal directions) and ' +
    'independent ones, as m grows and as the inputs are scaled up (sharper attention). Every FAVOR+ kernel is checked ' +
    'against the same computation on the CPU before it is timed.',
  params,
  presets: [
    { label: 'Both sweeps, 8 heads, d = 64, m = 256', params: { sweeps: 'both', seqLen: '1024, 4096, 16384', heads: 8, headDim: '64', features: 256 } },
    { label: 'Speed to N = 64K', params: { sweeps: 'speed', seqLen: '1024, 4096, 16384, 65536', heads: 8, headDim: '64', features: 256 } },
    { label: 'Accuracy, m from 16 to 1024', params: { sweeps: 'accuracy', featureSweep: '16, 32, 64, 128, 256, 512, 1024', accuracyLength: 1024 } },
  ],
  quick: { sweeps: 'both', seqLen: '37, 130', heads: 1, headDim: '64', features: 16, featureSweep: '8, 32', accuracyLength: 50, scales: '1, 2' },
  points: pointsOf,
  variants: () => variants,
  extra({ point, variant, seconds, baseline }): Record<string, number> {
    if (variant.label === EXACT) return {};
    if (variant.label === FAVOR) return { bytesMoved: favorBytes(point.shape), ...(baseline && { speedupOverExact: baseline.seconds.median / seconds }) };
    return accuracyOf(point.shape, point.seed);
  },
  verdict,
  figures: {
    kind: 'Features drawn',
    scale: 'Input scale',
    bytesMoved: 'Bytes FAVOR+ moves (counted from its steps)',
    speedupOverExact: 'Speedup over exact attention (×)',
    relError: 'Relative error against exact attention (mean)',
    relErrorSpread: 'Relative error, spread (standard deviation)',
    seeds: 'Draws of the features',
  },
  plots: [
    timePlot('Time against sequence length: FAVOR+ and exact attention, each with its bound', { field: 'params.seqLen', label: 'Sequence length N' }, { variants: [FAVOR, EXACT] }),
    {
      id: 'features',
      title: 'Error against exact attention as the random features grow',
      x: { field: 'params.features', label: 'Random features m', log: true },
      y: { field: 'extra.relError', label: 'Relative error', log: true },
      variants: ['orthogonal', 'independent'],
    },
    {
      id: 'scale',
      title: 'Error as the inputs are scaled up (sharper attention)',
      x: { field: 'params.scale', label: 'Input scale' },
      y: { field: 'extra.relError', label: 'Relative error', log: true },
      variants: ['orthogonal, scaled', 'independent, scaled'],
    },
  ],
};
