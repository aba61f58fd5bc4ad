// GEMM kernel wrapper (naive.wgsl, tiled.wgsl, matrix.wgsl, and skinny.wgsl for a C of a few rows):
// C = op(A)·op(B) [+ scale·A2·B2], its versions, pipelines cached per device, the cost model and the refusals.
import { createBufferFrom, createEmptyBuffer } from '../gpu/buffers';
import { checkBuffer, checkWorkgroups, checkWorkgroupSize, firstRefusal } from '../gpu/limits';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { FamilyDevice } from '../family';
import type { Prepared } from '../gpu/types';
import { matrixRefusal, subgroupMaxSizeOf } from '../matrix/matrix';
import { storageAccess, type Element } from './access';
import blocksSource from './blocks.wgsl';
import naiveSource from './naive.wgsl';
import elementwiseSource from './elementwise.wgsl';
import tiledSource from './tiled.wgsl';
import skinnySource from './skinny.wgsl';
import matrixSource from './matrix.wgsl';

/** C (m, n) = op(A) (m, k) · op(B) (k, n), row-major; op(A) = Aᵀ when transA (A stored (k, m)), likewise B (stored (n, k)). */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** The epilogue's second product, added to C: scale · A2 (m, k) · B2 (k, n), never transposed (tiled and matrix only). */
  second?: { k: number; scale: number };
  /** GEMMs of this shape in one dispatch, each operand's entries stacked (tiled and matrix only; default 1). */
  batch?: number;
  /**
   * A and B filled on the GPU with hashed values (multiples of 2^-10 in [-1, 1), exact in f16) that the reference
   * recomputes, instead of random values made in JS: for operands too large to hold there (a model's weights). No
   * second product.
   */
  hashed?: boolean;
}

/** 1 naive (f32), 2 tiled (f32), 3 matrix (f16 inputs and output, f32 accumulators, on subgroup matrices). */
export type GemmVersion = 'naive' | 'tiled' | 'matrix';
export const GEMM_VERSIONS: readonly GemmVersion[] = ['naive', 'tiled', 'matrix'];

export const elementOf = (version: GemmVersion): Element => (version === 'matrix' ? 'f16' : 'f32');
export const elementBytes = (element: Element) => (element === 'f16' ? 2 : 4);

/**
 * Block sizes. Tiled: BM×BN of C a workgroup of 16×16 threads (8×8 each, so 128×128), K BK at a time. Matrix:
 * SG_M×SG_N subgroups a workgroup, each FRAG_M×FRAG_N tiles of 16×16, K BK at a time (a multiple of 16).
 */
export interface GemmTiles {
  bk: number;
  sgM: number;
  sgN: number;
  fragM: number;
  fragN: number;
  /** The matrix version: 0 stages every block by threads, never copying one with matrix loads from storage (default 1). */
  copy?: number;
}
export const TILES: { tiled: { bm: 128; bn: 128; bk: number }; matrix: GemmTiles } = {
  tiled: { bm: 128, bn: 128, bk: 8 },
  matrix: { bk: 32, sgM: 2, sgN: 2, fragM: 4, fragN: 4 },
};
/** A version's default blocks: the tiled version reads only `bk` of them (its BM×BN is fixed by its thread layout). */
export const tilesOf = (version: GemmVersion): GemmTiles => (version === 'tiled' ? { ...TILES.matrix, bk: TILES.tiled.bk } : TILES.matrix);
const NAIVE_BLOCK = 16;

/** Two FLOPs (a multiply and an add) per term of every output, both products. */
export const flops = ({ m, n, k, second, batch = 1 }: GemmShape) => 2 * batch * m * n * (k + (second?.k ?? 0));

/** The fewest bytes: every operand read once and C written once. */
export function bytes({ m, n, k, second, batch = 1 }: GemmShape, element: Element = 'f32'): number {
  const k2 = second?.k ?? 0;
  return elementBytes(element) * batch * (m * k + k * n + m * n + m * k2 + k2 * n);
}

/**
 * The kernel that runs a version at a shape: the version's own, or for the tiled and matrix versions, where C has
 * at most SKINNY_ROWS rows and nothing is transposed, skinny.wgsl (matrix–vector products bound by reading B).
 */
export type GemmKernel = GemmVersion | 'skinny';
export const SKINNY_ROWS = 4;
const SKINNY = { bn: 256, bk: 32 };

export function kernelOf({ m, transA, transB }: GemmShape, version: GemmVersion): GemmKernel {
  return version !== 'naive' && m <= SKINNY_ROWS && !transA && !transB ? 'skinny' : version;
}

/** The block of C one workgroup owns. */
export function blockOf(kernel: GemmKernel, tiles = TILES.matrix): { m: number; n: number } {
  if (kernel === 'naive') return { m: NAIVE_BLOCK, n: NAIVE_BLOCK };
  if (kernel === 'tiled') return { m: TILES.tiled.bm, n: TILES.tiled.bn };
  if (kernel === 'skinny') return { m: SKINNY_ROWS, n: SKINNY.bn };
  return { m: tiles.sgM * tiles.fragM * 16, n: tiles.sgN * tiles.fragN * 16 };
}

/**
 * Workgroups wanted at once: enough to fill a large GPU (an H200's 132 multiprocessors, a few each); for the
 * skinny kernel, whose threads each keep only a few loads in flight, twice as many.
 */
const FILL_WORKGROUPS = { blocks: 512, skinny: 1024 };
/** The least of K one split of it walks, so partial sums stay a small part of the traffic (C is short in skinny). */
const MIN_SPLIT_K = { blocks: 256, skinny: 128 };

/**
 * How many runs K is split into, each its own workgroup writing a partial C that a second dispatch sums: one
 * where C's blocks already fill the GPU; more where C is narrow (LoRA's x·A has r columns) or small.
 */
export function splitsOf(shape: GemmShape, version: GemmVersion, tiles = TILES.matrix): number {
  if (version === 'naive') return 1;
  const kernel = kernelOf(shape, version);
  const block = blockOf(kernel, tiles);
  const workgroups = Math.ceil(shape.n / block.n) * Math.ceil(shape.m / block.m) * (shape.batch ?? 1);
  const depth = shape.k + (shape.second?.k ?? 0);
  const kind = kernel === 'skinny' ? 'skinny' : 'blocks';
  return Math.max(1, Math.min(Math.ceil(FILL_WORKGROUPS[kind] / workgroups), Math.floor(depth / MIN_SPLIT_K[kind])));
}

/** The workgroups along (n, m, the splits of K times the batch). */
export function gemmGrid(shape: GemmShape, version: GemmVersion, tiles = TILES.matrix): { x: number; y: number; z: number } {
  const block = blockOf(kernelOf(shape, version), tiles);
  return { x: Math.ceil(shape.n / block.n), y: Math.ceil(shape.m / block.m), z: splitsOf(shape, version, tiles) * (shape.batch ?? 1) };
}

/** Invocations and bytes of workgroup memory of one workgroup. */
function workgroupOf(kernel: GemmKernel, subgroupMaxSize: number, tiles: GemmTiles): { threads: number; sharedBytes: number } {
  if (kernel === 'naive') return { threads: NAIVE_BLOCK * NAIVE_BLOCK, sharedBytes: 0 };
  if (kernel === 'tiled') return { threads: 256, sharedBytes: 2 * 4 * tiles.bk * (TILES.tiled.bm + TILES.tiled.bn) };
  if (kernel === 'skinny') return { threads: 256, sharedBytes: 16 * 256 };
  const block = blockOf(kernel, tiles);
  const subgroups = tiles.sgM * tiles.sgN;
  const halves = block.m * (tiles.bk + 8) + tiles.bk * (block.n + 8);
  return { threads: subgroups * subgroupMaxSize, sharedBytes: 2 * halves + 4 * 256 * subgroups };
}

/** A refusal in plain words (naming the limit) when this device cannot run the shape with the version, else null. */
export function gemmRefusal(gpu: FamilyDevice, shape: GemmShape, version: GemmVersion, tiles = tilesOf(version)): string | null {
  if (version === 'matrix') {
    const missing = matrixRefusal(gpu.features, gpu.subgroupMatrixConfigs);
    if (missing) return missing;
  }
  if (version === 'naive' && shape.second) return 'the naive GEMM has no epilogue for a second product';
  if (version === 'naive' && (shape.batch ?? 1) > 1) return 'the naive GEMM runs one product at a time, not a batch';
  const size = elementBytes(elementOf(version));
  const { m, n, k, batch = 1 } = shape;
  const k2 = shape.second?.k ?? 0;
  const grid = gemmGrid(shape, version, tiles);
  const workgroup = workgroupOf(kernelOf(shape, version), gpu.subgroupMaxSize ?? 128, tiles);
  const of = batch > 1 ? `${batch} of ` : '';
  return firstRefusal(
    checkBuffer(gpu.limits, size * batch * m * k, `A (${of}${m}×${k})`),
    checkBuffer(gpu.limits, size * batch * k * n, `B (${of}${k}×${n})`),
    checkBuffer(gpu.limits, size * m * n * grid.z, grid.z > batch ? `C's ${grid.z} partial sums (${m}×${n} each)` : `C (${of}${m}×${n})`),
    k2 > 0 ? checkBuffer(gpu.limits, size * batch * m * k2, `A2 (${of}${m}×${k2})`) : null,
    k2 > 0 ? checkBuffer(gpu.limits, size * batch * k2 * n, `B2 (${of}${k2}×${n})`) : null,
    checkWorkgroups(gpu.limits, Math.max(grid.x, grid.y, grid.z), 'the GEMM grid'),
    checkWorkgroupSize(gpu.limits, workgroup.threads, workgroup.sharedBytes, `the ${kernelOf(shape, version) === 'skinny' ? 'few-row' : version} GEMM's workgroup`),
  );
}

/** Whether every stored row is a multiple of 4 elements long, so the tiled kernel reads and writes vec4s. */
export function vectorized({ m, n, k, transA, transB, second }: GemmShape): boolean {
  const rows = [transA ? m : k, transB ? k : n, n, second?.k ?? 4];
  return rows.every((length) => length % 4 === 0);
}

/** Which operands the matrix version copies with matrix loads (see `copiedOperands`): A, B, A2, B2. */
export interface Copies {
  a: boolean;
  b: boolean;
  a2: boolean;
  b2: boolean;
}

/**
 * The matrix version's straight-line parts (matrix.wgsl: DECLARE, LOAD, MULTIPLY, STORE) for `tiles`; LOAD
 * copies the blocks of the operands `copies` names where they lie inside their operand, and stages the rest.
 */
function matrixBody(
  { bk, fragM, fragN, sgM, sgN }: GemmTiles,
  threads: number,
  copies: Copies,
): Record<'DECLARE' | 'LOAD' | 'MULTIPLY' | 'STORE', string> {
  const rows = [...Array(fragM).keys()];
  const cols = [...Array(fragN).keys()];
  const tiles = rows.flatMap((i) => cols.map((j) => [i, j] as const));
  const subgroups = sgM * sgN;
  const indices = (count: number) => [...Array(count).keys()];
  // The 16×16 tiles of one block of op(A) (BM×BK) and of op(B) (BK×BN), and which of them subgroup s copies: s + subgroups·l.
  const tilesA = (sgM * fragM * bk) / 16;
  const tilesB = (bk * sgN * fragN) / 16;
  const ifCopies = (count: number, l: number, line: string) =>
    (l + 1) * subgroups > count ? `if (subgroup + ${subgroups * l}u < ${count}u) {\n  ${line}\n}` : line;
  const copy = (count: number, put: string, tile: string, base: string) =>
    `if (works) {\n${indices(Math.ceil(count / subgroups))
      .map((l) => ifCopies(count, l, `${put}(subgroup + ${subgroups * l}u, ${tile}(subgroup + ${subgroups * l}u, k0, ${base}));`))
      .join('\n')}\n}`;
  // The vec4s of one block of op(A) and of op(B), and which of them thread t stages: t + threads·l.
  const vecsA = (sgM * fragM * 16 * bk) / 4;
  const vecsB = (bk * sgN * fragN * 16) / 4;
  const ifStages = (vecs: number, l: number, line: string) =>
    (l + 1) * threads > vecs ? `if (thread + ${threads * l}u < ${vecs}u) {\n  ${line}\n}` : line;
  const stage = (vecs: number, operand: 'A' | 'B', base: string) =>
    indices(Math.ceil(vecs / threads))
      .map((l) => ifStages(vecs, l, `stage${operand}(p, thread + ${threads * l}u, fetch${operand}(p, k0, ${base}, thread + ${threads * l}u));`))
      .join('\n');
  // Each operand's block: copied where its product's operand is copied and the block lies inside it, else staged.
  const load = (operand: 'A' | 'B', first: boolean, second: boolean, count: number, vecs: number, base: string) => {
    const branches = [
      ...(first ? [`p == 0u && inside${operand}(p, k0, ${base})`, copy(count, `put${operand}`, `tile${operand}`, base)] : []),
      ...(second ? [`p == 1u && inside${operand}(p, k0, ${base})${operand === 'A' ? ' && shape.scale == 1.0' : ''}`, copy(count, `put${operand}`, `tile${operand}2`, base)] : []),
    ];
    let code = stage(vecs, operand, base);
    for (let b = branches.length - 2; b >= 0; b -= 2) code = `if (${branches[b]}) {\n${branches[b + 1]}\n} else {\n${code}\n}`;
    return code;
  };
  const declare = [
    ...tiles.map(([i, j]) => `var acc_${i}_${j}: Result;`),
    ...rows.map((i) => `let live_${i} = rowBase + fragRow + ${16 * i}u < shape.m;`),
  ];
  const multiply = [
    ...rows.map((i) => `let left_${i} = subgroupMatrixLoad<Left, row_major>(&aTile, (fragRow + ${16 * i}u) * A_STRIDE + kk, A_STRIDE);`),
    ...cols.map((j) => `let right_${j} = subgroupMatrixLoad<Right, row_major>(&bTile, kk * B_STRIDE + fragCol + ${16 * j}u, B_STRIDE);`),
    ...rows.map(
      (i) => `if (live_${i}) {\n${cols.map((j) => `  acc_${i}_${j} = subgroupMatrixMultiplyAccumulate(left_${i}, right_${j}, acc_${i}_${j});`).join('\n')}\n}`,
    ),
  ];
  const store = tiles.map(([i, j]) =>
    [
      `if (works) {\n  subgroupMatrixStore<row_major>(&scratch, subgroup * 256u, acc_${i}_${j}, 16u);\n}`,
      'workgroupBarrier();',
      `storeTile(works, subgroup, lane, lanes, base, rowBase + fragRow + ${16 * i}u, colBase + fragCol + ${16 * j}u);`,
      'workgroupBarrier();',
    ].join('\n'),
  );
  return {
    DECLARE: declare.join('\n'),
    LOAD: [load('A', copies.a, copies.a2, tilesA, vecsA, 'rowBase'), load('B', copies.b, copies.b2, tilesB, vecsB, 'colBase')].join('\n'),
    MULTIPLY: multiply.join('\n'),
    STORE: store.join('\n'),
  };
}

/**
 * Which operands the matrix version copies into workgroup memory with matrix loads (matrix.wgsl's LOAD): those
 * stored untransposed with rows of whole 16 bytes (8 halves) and at least one block big, each on its own (B is
 * copied for a few tokens, where A has fewer rows than a block). A2 is copied only where the scale is 1 (checked
 * as the kernel runs), since copies are not scaled. None where the tiles say `copy: 0`.
 */
export function copiedOperands({ m, n, k, transA, transB, second }: GemmShape, tiles: GemmTiles): Copies {
  const block = blockOf('matrix', tiles);
  const k2 = second?.k ?? 0;
  const rowsOfA = m >= block.m && tiles.copy !== 0;
  const colsOfB = n >= block.n && n % 8 === 0 && tiles.copy !== 0;
  return {
    a: rowsOfA && k >= tiles.bk && !transA && k % 8 === 0,
    b: colsOfB && k >= tiles.bk && !transB,
    a2: rowsOfA && k2 >= tiles.bk && k2 % 8 === 0,
    b2: colsOfB && k2 >= tiles.bk,
  };
}

const constantsOf = (values: Record<string, number>) => Object.entries(values).map(([name, value]) => `const ${name} = ${value}u;`).join('\n');

/** The WGSL of `version` for `shape` (its transposes and whether it reads vec4s), with its constants filled in. */
export function gemmSource(version: GemmVersion, shape: GemmShape, tiles: GemmTiles, subgroupMaxSize: number): string {
  const vectors = version !== 'naive' && vectorized(shape);
  if (kernelOf(shape, version) === 'skinny') {
    const element = elementOf(version);
    const constants = constantsOf({ ROWS: shape.m, BN: SKINNY.bn, BK: SKINNY.bk });
    return [element === 'f16' ? 'enable f16;' : '', skinnySource, constants, blocksSource, storageAccess(element, vectors)].join('\n');
  }
  if (version === 'tiled') {
    const { bm, bn } = TILES.tiled;
    return [tiledSource, constantsOf({ BM: bm, BN: bn, BK: tiles.bk }), blocksSource, storageAccess('f32', vectors)].join('\n');
  }
  if (version === 'matrix') {
    const block = blockOf(version, tiles);
    const { bk, sgM, sgN, fragM, fragN } = tiles;
    const threads = sgM * sgN * subgroupMaxSize;
    const constants = constantsOf({ BM: block.m, BN: block.n, BK: bk, SG_M: sgM, SG_N: sgN, FRAG_M: fragM, FRAG_N: fragN, THREADS: threads });
    const copies = copiedOperands(shape, tiles);
    const body = matrixBody(tiles, threads, copies);
    const filled = matrixSource.replace(/\/\/(DECLARE|LOAD|MULTIPLY|STORE)\n/g, (_, part: keyof typeof body) => `${body[part]}\n`);
    // Scalar storage (the matrix loads read arrays of f16), read and written four elements at a time.
    return [filled, constants, blocksSource, storageAccess('f16', false)].join('\n');
  }
  return naiveSource;
}

function pipelineOf(device: GPUDevice, version: GemmVersion, shape: GemmShape, tiles: GemmTiles): GPUComputePipeline {
  const subgroupMaxSize = version === 'matrix' ? subgroupMaxSizeOf(device) : 0;
  const code = gemmSource(version, shape, tiles, subgroupMaxSize);
  const label = `gemm ${kernelOf(shape, version)}${version === 'matrix' ? ' f16' : ''}${shape.transA ? ' Aᵀ' : ''}${shape.transB ? ' Bᵀ' : ''}`;
  // The source says everything the pipeline depends on (tiles, vec4s, the subgroup size); transposes are constants.
  return cachedPerDevice(device, `${label}\n${code}`, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code }),
        // The skinny kernel has no transposes to set.
        ...(kernelOf(shape, version) !== 'skinny' && { constants: { TRANS_A: shape.transA ? 1 : 0, TRANS_B: shape.transB ? 1 : 0 } }),
      },
    }),
  );
}

/** A pipeline of an elementwise helper (elementwise.wgsl: `reduce`, `add`) over elements of type `element`. */
function elementwisePipeline(device: GPUDevice, entryPoint: 'reduce' | 'add', element: Element): GPUComputePipeline {
  const label = `gemm ${entryPoint} ${element}`;
  return cachedPerDevice(device, label, () =>
    device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label, code: `${element === 'f16' ? 'enable f16;\n' : ''}alias E = ${element};\n${elementwiseSource}` }),
        entryPoint,
      },
    }),
  );
}

/** The elementwise helper `entryPoint` over `count` elements: params, pipeline and bind group, on x and out. */
function prepareElementwise(
  device: GPUDevice,
  entryPoint: 'reduce' | 'add',
  element: Element,
  count: number,
  buffers: { x: GPUBuffer; out: GPUBuffer },
  { splits = 1, scale = 1 }: { splits?: number; scale?: number },
): Prepared<{ out: GPUBuffer }> {
  const grid = grid2d(Math.ceil(count / 256));
  const words = new ArrayBuffer(16);
  new Uint32Array(words).set([count, grid.x, splits]);
  new Float32Array(words)[3] = scale;
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, `gemm ${entryPoint} params`);
  const pipeline = elementwisePipeline(device, entryPoint, element);
  return oneDispatch(pipeline, bindBuffers(device, pipeline, `gemm ${entryPoint}`, [params, buffers.x, buffers.out]), grid, { out: buffers.out }, [params]);
}

/** y = y + scale·x over `count` elements of `element` (x and y STORAGE buffers it is given). */
export function prepareScaledAdd(device: GPUDevice, element: Element, count: number, buffers: { x: GPUBuffer; y: GPUBuffer }, scale: number): Prepared<{ out: GPUBuffer }> {
  return prepareElementwise(device, 'add', element, count, { x: buffers.x, out: buffers.y }, { scale });
}

/**
 * C = op(A)·op(B) [+ scale·A2·B2] for `shape` with `version`, on buffers it is given (each with STORAGE usage;
 * f16 for the matrix version, f32 otherwise): a, b, c and, with a second product, a2 and b2. It makes (and
 * destroy() frees) only its shape uniform. `tiles` changes the matrix version's blocks (for tuning sweeps).
 */
export function prepareGemm(
  device: GPUDevice,
  version: GemmVersion,
  shape: GemmShape,
  buffers: { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer; a2?: GPUBuffer; b2?: GPUBuffer },
  tiles: GemmTiles = tilesOf(version),
): Prepared<{ c: GPUBuffer }> {
  if (shape.second && !(buffers.a2 && buffers.b2)) throw new Error('gemm: a second product needs buffers a2 and b2');
  if (version === 'naive' && (shape.second || (shape.batch ?? 1) > 1)) throw new Error('gemm: the naive version has no epilogue and no batch');
  const grid = gemmGrid(shape, version, tiles);
  const words = new ArrayBuffer(32);
  new Uint32Array(words).set([shape.m, shape.n, shape.k, shape.second?.k ?? 0]);
  new Float32Array(words)[4] = shape.second?.scale ?? 0;
  const batch = shape.batch ?? 1;
  new Uint32Array(words).set([grid.z / batch, batch], 5);
  const uniform = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, `gemm ${version} shape`);
  const pipeline = pipelineOf(device, version, shape, tiles);
  const element = elementOf(version);
  const count = batch * shape.m * shape.n;
  const splits = grid.z / batch;
  // Split K: the GEMM writes its partial sums here, and a second dispatch sums them into C.
  const partials = splits > 1 ? createEmptyBuffer(device, elementBytes(element) * count * splits, GPUBufferUsage.STORAGE, `gemm ${version} partial sums`) : null;
  const bound = [uniform, buffers.a, buffers.b, partials ?? buffers.c];
  // Without a second product A and B stand in for A2 and B2 (read-only bindings may share a buffer); K2 = 0.
  if (version !== 'naive') bound.push(buffers.a2 ?? buffers.a, buffers.b2 ?? buffers.b);
  const gemm = oneDispatch(pipeline, bindBuffers(device, pipeline, `gemm ${version}`, bound), grid, { c: buffers.c }, [uniform]);
  if (!partials) return gemm;
  const reduce = prepareElementwise(device, 'reduce', element, count, { x: partials, out: buffers.c }, { splits });
  return {
    encode(pass) {
      gemm.encode(pass);
      reduce.encode(pass);
    },
    outputs: { c: buffers.c },
    dispatches: 2,
    destroy() {
      gemm.destroy();
      reduce.destroy();
      partials.destroy();
    },
  };
}
