// Every kernel family, one line each: what the conformance test walks and `npm run tune` offers.
import type { KernelFamily } from './family';
import { gemm } from './gemm/index';

export const families: Record<string, KernelFamily<any, any>> = {
  gemm,
};
