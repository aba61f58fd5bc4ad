// The registry of labs, one line each (webgpu-samples' src/samples.ts).
import type { Lab } from './types';

export const labs: Record<string, () => Promise<Lab>> = {
  probe: () => import('./probe').then((m) => m.probe),
  teal: () => import('./teal').then((m) => m.teal),
  gqa: () => import('./gqa').then((m) => m.gqa),
};
