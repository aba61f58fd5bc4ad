// Attention kernels (src/kernels/attention). So far the row softmax of naive attention (softmax.wgsl); the naive
// kernel's two products are to run on the GEMM (src/kernels/gemm), and the tiled kernel is still to come.
import { createBufferFrom } from '../gpu/buffers';
import { bindBuffers, cachedPerDevice, grid2d, oneDispatch } from '../gpu/pipelines';
import type { Prepared } from '../gpu/types';
import softmaxSource from './softmax.wgsl';

/**
 * scores (rows × n, f32, row-major) ← softmax(scale·scores [+ causal mask]) row by row, in place; with `causal` a
 * row r of each head (r = row mod n) keeps columns 0..r and the rest become 0.
 */
export function prepareSoftmax(
  device: GPUDevice,
  { rows, n, scale, causal }: { rows: number; n: number; scale: number; causal: boolean },
  scores: GPUBuffer,
): Prepared<{ scores: GPUBuffer }> {
  const grid = grid2d(rows);
  const words = new ArrayBuffer(32);
  new Uint32Array(words).set([rows, n, grid.x, causal ? 1 : 0]);
  new Float32Array(words)[4] = scale;
  const params = createBufferFrom(device, new Uint8Array(words), GPUBufferUsage.UNIFORM, 'softmax params');
  const pipeline = cachedPerDevice(device, 'attention softmax', () =>
    device.createComputePipeline({ label: 'attention softmax', layout: 'auto', compute: { module: device.createShaderModule({ label: 'attention softmax', code: softmaxSource }) } }),
  );
  return oneDispatch(pipeline, bindBuffers(device, pipeline, 'attention softmax', [params, scores]), grid, { scores }, [params]);
}
