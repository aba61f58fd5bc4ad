// The walk of attention on the matrix units (walk.wgsl) made whole: its straight-line parts written for a head of
// d and blocks of keys, its constants, and a header that says where each subgroup walks (attention's matrix.wgsl,
// the grouped decode kernel's). Its workgroup memory, as Dawn counts it.
import walkSource from './walk.wgsl';

export interface WalkOptions {
  /** Head dimension, a multiple of 16. */
  d: number;
  /** Keys a block, a multiple of 16. */
  keys: number;
  /** Subgroups a workgroup, each with its 16 query rows. */
  subgroups: number;
  /** Invocations a workgroup: subgroups × the device's largest subgroup. */
  threads: number;
  /** The array (device or workgroup memory, f16, rows of d) the subgroups' Q tiles are loaded from. */
  q: string;
}

const in16 = (bytes: number) => 16 * Math.ceil(bytes / 16);

/** Workgroup memory of the walk (each variable in whole 16 bytes): scores, probabilities, factors, maxes, two flags. */
export function walkSharedBytes({ subgroups, keys }: Pick<WalkOptions, 'subgroups' | 'keys'>): number {
  const rows = 16 * subgroups;
  return in16(4 * rows * keys) + in16(2 * rows * (keys + 8)) + 2 * in16(4 * rows) + 2 * 16;
}

/** The walk's straight-line parts (walk.wgsl) for a head of `d` and blocks of `keys` keys. */
function walkParts({ d, keys, q }: WalkOptions): Record<'LOAD_Q' | 'SCORES' | 'VALUES' | 'RESCALE' | 'OUTPUT', string> {
  const dims = [...Array(d / 16).keys()];
  const tiles = [...Array(keys / 16).keys()];
  const lines = (...parts: string[][]) => parts.flat().join('\n');
  return {
    LOAD_Q: lines(
      dims.map((c) => `let q_${c} = subgroupMatrixLoad<Left, row_major>(&${q}, place.qFirst + ${16 * c}u, D);`),
      dims.map((c) => `var acc_${c}: Result;`),
    ),
    // The scores start from the first product rather than a zeroed `var s: Result;` inside the loop, which NVIDIA's
    // Vulkan driver zeroed only once: every block's scores then held the blocks' before them too (seen on an H200).
    SCORES: lines(
      dims.flatMap((c) => [
        ...tiles.map((j) => `let k_${c}_${j} = subgroupMatrixLoad<Right, col_major>(&k, base + (keyBase + ${16 * j}u) * D + ${16 * c}u, D);`),
        ...tiles.map((j) =>
          c === 0 ? `var s_${j} = subgroupMatrixMultiply<f32>(q_0, k_0_${j});` : `s_${j} = subgroupMatrixMultiplyAccumulate(q_${c}, k_${c}_${j}, s_${j});`,
        ),
      ]),
      tiles.map((j) => `subgroupMatrixStore<row_major>(&scores, region + ${16 * j}u, s_${j}, BC);`),
    ),
    VALUES: lines(
      tiles.map((j) => `let p_${j} = subgroupMatrixLoad<Left, row_major>(&probs, 16u * g * P_STRIDE + ${16 * j}u, P_STRIDE);`),
      dims.flatMap((c) => [
        ...tiles.map((j) => `let v_${j}_${c} = subgroupMatrixLoad<Right, row_major>(&v, base + (keyBase + ${16 * j}u) * D + ${16 * c}u, D);`),
        ...tiles.map((j) => `acc_${c} = subgroupMatrixMultiplyAccumulate(p_${j}, v_${j}_${c}, acc_${c});`),
      ]),
    ),
    RESCALE: lines(
      dims.flatMap((c) => [
        `if (works) {\n  subgroupMatrixStore<row_major>(&scores, region, acc_${c}, 16u);\n}`,
        'workgroupBarrier();',
        'scaleTile(works, g, lane, lanes);',
        'workgroupBarrier();',
        `if (works) {\n  acc_${c} = subgroupMatrixLoad<Result, row_major>(&scores, region, 16u);\n}`,
        'workgroupBarrier();',
      ]),
    ),
    OUTPUT: lines(
      dims.flatMap((c) => [
        `if (works) {\n  subgroupMatrixStore<row_major>(&scores, region, acc_${c}, 16u);\n}`,
        'workgroupBarrier();',
        `epilogue(walk, place, works, g, lane, lanes, ${c}u);`,
        'workgroupBarrier();',
      ]),
    ),
  };
}

/** The whole kernel: the walk with its parts, then `header` (its bindings, walkOf, placeOf, prologue, epilogue), then the constants. */
export function walkKernel(header: string, options: WalkOptions): string {
  const parts = walkParts(options);
  const filled = walkSource.replace(/\/\/(LOAD_Q|SCORES|VALUES|RESCALE|OUTPUT)\n/g, (_, part: keyof typeof parts) => `${parts[part]}\n`);
  const { d, keys, subgroups, threads } = options;
  return [filled, header, `const D = ${d}u;`, `const BC = ${keys}u;`, `const SG = ${subgroups}u;`, `const THREADS = ${threads}u;`].join('\n');
}
