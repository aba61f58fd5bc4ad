// The prefill lab's verdict: from the H100's records (the reference file), one layer's kernels summed, as often as each
// runs in a layer, against the sum of their bounds, and the model's time to the first token; nothing where a kernel
// is missing at the longest prompt.
import { describe, expect, it } from 'vitest';
import { references } from '../../src/lib/reference';
import { prefill } from '../../src/labs/prefill';
import { KERNEL_OPS, LAYER_KERNELS, type LayerKernel } from '../../src/labs/decode-step/verdict';
import type { RunRecord } from '../../src/schemas/results';

const records = references.find((reference) => reference.id === 'h100')!.file.records.filter((record) => record.lab === 'prefill');

describe('the prefill verdict', () => {
  it("sums the H100's kernels at the longest prompt into a layer and a time to the first token", () => {
    const at2048 = records.filter((record) => record.params['tokens'] === 2048);
    expect(at2048.map((record) => record.variant).sort()).toEqual([...LAYER_KERNELS].sort());
    const runs = (record: RunRecord) => KERNEL_OPS[record.variant as LayerKernel].runs;
    const layer = at2048.reduce((sum, record) => sum + record.seconds.median * runs(record), 0);
    const ideal = at2048.reduce((sum, record) => sum + record.bound.seconds * runs(record), 0);
    const sentence = prefill.verdict!(records, 'the NVIDIA H100')!;
    expect(sentence).toMatch(/^For a prompt of 2048 tokens the NVIDIA H100 ran one layer of Llama-3-8B in /);
    // The layer's own numbers, formatted as the verdict formats them, in milliseconds at these sizes.
    expect(sentence).toContain(`in ${(layer * 1e3).toFixed(2)} ms`);
    expect(sentence).toContain(`its speed of light here, ${(ideal * 1e3).toFixed(2)} ms`);
    expect(sentence).toContain(`Its 32 layers make a time to the first token of ${(32 * layer * 1e3).toFixed(2)} ms`);
    expect(sentence).toMatch(/The layer's time goes to the gate and up product \d+%/);
    expect(sentence).not.toContain('software adapter');
  });

  it('says nothing where a kernel is missing at the longest prompt', () => {
    const withoutAttention = records.filter((record) => !(record.params['tokens'] === 2048 && record.variant === 'attention'));
    // The 512-token run is whole, but it is not the longest prompt of the run.
    expect(prefill.verdict!(withoutAttention, 'your GPU')).toBeNull();
  });
});
