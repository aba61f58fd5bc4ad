// The registry of labs, one line each (webgpu-samples' src/samples.ts).
import type { Lab } from './types';

export const labs: Record<string, () => Promise<Lab>> = {
  probe: () => import('./probe').then((m) => m.probe),
  teal: () => import('./teal').then((m) => m.teal),
  gqa: () => import('./gqa').then((m) => m.gqa),
  lora: () => import('./lora').then((m) => m.lora),
  gemm: () => import('./gemm').then((m) => m.gemm),
  'flash-attention': () => import('./flash-attention').then((m) => m.flashAttention),
  performer: () => import('./performer').then((m) => m.performer),
  'decode-step': () => import('./decode-step').then((m) => m.decodeStep),
  prefill: () => import('./prefill').then((m) => m.prefill),
};

/** Labs a note already embeds but that are not built yet, with what each will show the reader. */
export const plannedLabs: Record<string, string> = {};
