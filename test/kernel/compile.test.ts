// The tensor-core kernels' WGSL, every variant the wrappers write, through Dawn's validation on its null backend
// (which offers subgroup matrices and runs nothing): what CI can check of kernels no software GPU can run. Their
// results are checked against the CPU where a device runs them (attention.test.ts, gemm.test.ts, every lab run).
import { describe, expect, it } from 'vitest';
import { matrixAttentionSource, matrixBlocksFor, matrixSharedBytes } from '../../src/kernels/attention/attention';
import { planDecode, splitPassSource } from '../../src/kernels/decode/decode';
import { gemmSource, TILES, type GemmShape } from '../../src/kernels/gemm/gemm';
import { compileOnlyGpu } from './device';

const gpu = await compileOnlyGpu();

/** Compiler errors and warnings, and the pipeline's validation error where `pipeline` is asked for. */
async function problems(device: GPUDevice, label: string, code: string, pipeline: boolean): Promise<string[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code });
  const messages = (await module.getCompilationInfo()).messages.filter((message) => message.type !== 'info');
  if (pipeline) device.createComputePipeline({ label, layout: 'auto', compute: { module, constants: label.startsWith('gemm') ? { TRANS_A: 0, TRANS_B: 0 } : {} } });
  const error = await device.popErrorScope();
  return [...messages.map((message) => `${message.lineNum}:${message.linePos} ${message.message}`), ...(error ? [error.message] : [])];
}

describe.skipIf(!gpu?.features.has('chromium-experimental-subgroup-matrix'))('tensor-core kernels through Dawn\'s shader validation', () => {
  const { device, limits } = gpu!;
  const subgroupMaxSize = device.adapterInfo.subgroupMaxSize;
  // Pipelines too, where the workgroup fits this device (its largest subgroup, 128, makes most too many threads).
  const fits = (threads: number, bytes: number) => threads <= limits['maxComputeInvocationsPerWorkgroup']! && bytes <= limits['maxComputeWorkgroupStorageSize']!;

  it('rejects a broken kernel (the check can fail)', async () => {
    const broken = matrixAttentionSource(64, matrixBlocksFor(limits), 4 * subgroupMaxSize).replace('subgroupMatrixMultiply<f32>(q_0', 'subgroupMatrixMultiply<f32>(acc_0');
    expect(await problems(device, 'attention broken', broken, false)).not.toEqual([]);
  });

  for (const d of [64, 80, 128]) {
    for (const blocks of [{ subgroups: 4, keys: 64 }, { subgroups: 4, keys: 32 }, { subgroups: 2, keys: 32 }]) {
      it(`attention, d = ${d}, ${16 * blocks.subgroups} rows × ${blocks.keys} keys`, async () => {
        const threads = blocks.subgroups * subgroupMaxSize;
        expect(await problems(device, `attention d=${d}`, matrixAttentionSource(d, blocks, threads), fits(threads, matrixSharedBytes(blocks)))).toEqual([]);
      });
    }
  }

  // Decode on the matrix units: groups of 1 to 32 query heads (one or two row blocks), each slot and block of keys.
  for (const [queryHeads, kvHeads, headDim] of [[32, 32, 128], [32, 8, 128], [6, 1, 64], [32, 1, 128], [8, 2, 80]] as const) {
    for (const { slots, keys } of [{ slots: 4, keys: 32 }, { slots: 1, keys: 16 }, { slots: 8, keys: 64 }]) {
      it(`decode, group of ${queryHeads / kvHeads}, d = ${headDim}, ${slots} slots × ${keys} keys`, async () => {
        const shape = { batch: 3, queryHeads, kvHeads, seqLen: 301, headDim };
        const plan = planDecode(shape, { version: 'matrix', dtype: 'f16', slots, keys }, 32, subgroupMaxSize);
        expect(await problems(device, 'decode matrix', splitPassSource(plan), fits(plan.workgroupSize, plan.sharedBytes))).toEqual([]);
      });
    }
  }

  // Blocks staged by threads (odd rows, transposes), copied by matrix loads (one operand or both, B alone at 9 rows),
  // a second product staged and copied; a few rows as matrix–vector products in f16 (m = 4, and m = 3 with scalar rows).
  const shapes: GemmShape[] = [
    { m: 64, n: 64, k: 64 },
    { m: 33, n: 17, k: 65, transA: true, transB: true },
    { m: 256, n: 256, k: 64 },
    { m: 256, n: 256, k: 64, transA: true },
    { m: 256, n: 256, k: 64, transB: true },
    { m: 256, n: 256, k: 64, second: { k: 16, scale: 2 } },
    { m: 256, n: 256, k: 64, second: { k: 64, scale: 1 } },
    { m: 4, n: 256, k: 64 },
    { m: 9, n: 256, k: 64 },
    { m: 3, n: 300, k: 1000, second: { k: 37, scale: 0.5 } },
  ];
  for (const shape of shapes) {
    it(`GEMM ${JSON.stringify(shape)}`, async () => {
      expect(await problems(device, 'gemm matrix', gemmSource('matrix', shape, TILES.matrix, subgroupMaxSize), false)).toEqual([]);
    });
  }
});
