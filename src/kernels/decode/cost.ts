// The cost model of one decode step (DESIGN.md, "The units"): the fewest bytes it must move and its flops.
import { bytesPerElement, type DecodeShape, type KvDtype } from './decode';

/** K and V read once: 2·B·H_kv·S·d·elt bytes. */
export function kvBytes(shape: DecodeShape, dtype: KvDtype): number {
  return 2 * shape.batch * shape.kvHeads * shape.seqLen * shape.headDim * bytesPerElement(dtype);
}

/** The fewest bytes across device memory: K and V once, plus q read and the output written (f32). */
export function decodeBytes(shape: DecodeShape, dtype: KvDtype): number {
  return kvBytes(shape, dtype) + 2 * shape.batch * shape.queryHeads * shape.headDim * 4;
}

/** q·K and p·V: 2·d multiply-adds per (query head, row) each, 4·B·H_q·S·d flops; the softmax's exps are not counted. */
export function decodeFlops(shape: DecodeShape): number {
  return 4 * shape.batch * shape.queryHeads * shape.seqLen * shape.headDim;
}
