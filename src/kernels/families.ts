// Every kernel family, one line each: what the conformance test walks and `npm run tune` offers.
import type { KernelFamily } from './family';
import { attention } from './attention/index';
import { copy } from './copy/index';
import { decode } from './decode/index';
import { favor } from './favor/index';
import { feed } from './feed/index';
import { fma } from './fma/index';
import { gemm } from './gemm/index';
import { gemv } from './gemv/index';
import { layer, outputHead } from './layer/index';
import { layerOp } from './layer/ops';
import { lora } from './lora/index';
import { matrix } from './matrix/index';
import { read } from './read/index';

export const families: Record<string, KernelFamily<any, any>> = {
  attention,
  copy,
  decode,
  favor,
  feed,
  fma,
  gemm,
  gemv,
  head: outputHead,
  layer,
  'layer-op': layerOp,
  lora,
  matrix,
  read,
};
