// The speed-of-light report of one model, mode and device, as HTML: written at build time for a reference GPU and
// again in the browser for the reader's choice (ModelSpeed.astro), from the same arithmetic (src/models).
import type { Ceilings } from '../schemas/results';
import type { ModelConfig } from '../schemas/model';
import { formatBytes } from '../kernels/gpu/limits';
import { formatBandwidth, formatFlopRate, formatPercent, formatSeconds } from '../labs/format';
import { memoryGBps } from '../models/bound';
import { DTYPE_BYTES, opGraph, type GraphMode } from '../models/graph';
import { cacheOutweighsWeightsAt, computeBoundBatch, speedOfLight, variantsOf } from '../models/speed';

export interface Device {
  name: string;
  ceilings: Ceilings;
  /** The reader's own GPU, measured in this browser (else a reference GPU). */
  yours?: boolean;
  /** Its memory in bytes, from its datasheet (src/data/gpus.ts); unknown for the reader's GPU, which WebGPU does not tell. */
  memoryBytes?: number;
  /** Its ceilings are its datasheet's figures, not measured. */
  datasheet?: boolean;
  /** For a datasheet's GPU, what this notebook measured on the same GPU, where it has. */
  measured?: { name: string; ceilings: Ceilings };
}

/** Text safe inside HTML. */
export const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** A device as the device list names it: the reader's own, a measured reference GPU, or one by its datasheet. */
export const deviceLabel = (device: Device) => `${device.name} (${device.yours ? 'yours' : device.datasheet ? 'datasheet' : 'measured'})`;

const rate = (perSecond: number) => (perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3));
const k = (tokens: number) => (tokens >= 1024 && tokens % 1024 === 0 ? `${tokens / 1024}K` : String(tokens));
const flopsText = (flops: number) => (flops >= 1e12 ? `${(flops / 1e12).toPrecision(3)} T` : flops >= 1e9 ? `${(flops / 1e9).toPrecision(3)} G` : flops >= 1e6 ? `${(flops / 1e6).toPrecision(3)} M` : `${flops.toFixed(0)} `);

/** The mode in words: `decoding 1 sequence at a 4K context, f16 weights and cache`. */
export function modeText(model: ModelConfig, mode: GraphMode): string {
  if (model.architecture === 'encoder' || mode.kind === 'prefill') return `reading a sequence of ${k(mode.tokens)} token${mode.tokens === 1 ? '' : 's'}, ${mode.weights} weights`;
  return `decoding ${mode.batch} sequence${mode.batch > 1 ? 's' : ''} at a ${k(mode.tokens)}-token context, ${mode.weights} weights, ${mode.kv} KV cache`;
}

/** The bytes a device must hold for the mode: the weights and, decoding, every sequence's KV cache. */
export function heldBytes(model: ModelConfig, mode: GraphMode): number {
  const { totals } = opGraph(model, mode);
  const decoding = model.architecture === 'decoder' && mode.kind === 'decode';
  return totals.weightBytes + totals.kvBytesPerToken * (mode.tokens + 1) * (decoding ? mode.batch : 0);
}

/** A warning where what the mode holds is more than the device's memory (where its datasheet says it), else null. */
export function memoryWarning(model: ModelConfig, mode: GraphMode, device: Device): string | null {
  const held = heldBytes(model, mode);
  if (device.memoryBytes === undefined || held <= device.memoryBytes) return null;
  return `${formatBytes(held)} is more than the ${device.name}'s ${formatBytes(device.memoryBytes)} of memory (its datasheet's): one cannot hold ${model.name} this way, and this bound assumes it can.`;
}

/** Attention's FLOPs a byte of the KV cache: 4·H·d a cached token over its K and V, 2·H_kv·d values. */
const attentionIntensity = (model: ModelConfig, mode: GraphMode) => (4 * model.heads) / (2 * model.kvHeads * DTYPE_BYTES[mode.kv]);

/**
 * A datasheet's figures against what this notebook measured on the same GPU: bandwidth, and the rate of the unit
 * that bounds a model's large products (the matrix units where both have it). A datasheet is not a measurement.
 */
export function againstMeasured(device: Device, measured: { name: string; ceilings: Ceilings }): string {
  const pairs: string[] = [`bandwidth ${formatBandwidth(memoryGBps(measured.ceilings) * 1e9)}, ${formatPercent(memoryGBps(measured.ceilings) / memoryGBps(device.ceilings))} of the datasheet's ${formatBandwidth(memoryGBps(device.ceilings) * 1e9)}`];
  const [sheet, seen] = [device.ceilings.f16MatrixGflops, measured.ceilings.f16MatrixGflops];
  if (sheet !== undefined && seen !== undefined) pairs.push(`f16 on the matrix units ${formatFlopRate(seen * 1e9)}, ${formatPercent(seen / sheet)} of the datasheet's dense ${formatFlopRate(sheet * 1e9)}`);
  pairs.push(`FP32 ${formatFlopRate(measured.ceilings.fp32Gflops * 1e9)}, ${formatPercent(measured.ceilings.fp32Gflops / device.ceilings.fp32Gflops)} of the datasheet's ${formatFlopRate(device.ceilings.fp32Gflops * 1e9)}`);
  return `A datasheet is not a measurement: on the same GPU (${escape(measured.name)}) this notebook measured ${pairs.join('; ')}.`;
}

export function speedReport(model: ModelConfig, mode: GraphMode, device: Device): { html: string; limitedBy: Record<string, 'bandwidth' | 'compute'> } {
  const graph = opGraph(model, mode);
  const light = speedOfLight(graph, device.ceilings);
  const decoding = model.architecture === 'decoder' && mode.kind === 'decode';
  const who = device.yours ? `On your GPU (${escape(device.name)})` : `On the ${escape(device.name)}${device.datasheet ? ", by its datasheet's figures" : ''}`;
  const perToken = light.stepSeconds / graph.totals.tokensPerStep;
  const lead = decoding
    ? `${who}, ${escape(modeText(model, mode))}: a step takes at least ${formatSeconds(light.stepSeconds)}, so at most ${rate(light.tokensPerSecond)} tokens a second${mode.batch > 1 ? ` in all (${rate(light.tokensPerSecond / mode.batch)} for each sequence)` : ''}.`
    : `${who}, ${escape(modeText(model, mode))}: at least ${formatSeconds(light.stepSeconds)}, ${formatSeconds(perToken)} a token.`;
  const held = heldBytes(model, mode);
  const tooLarge = memoryWarning(model, mode, device);
  const warnings = [
    ...(tooLarge ? [escape(tooLarge)] : []),
    ...(mode.tokens > model.maxPositions ? [`${model.name} was trained for ${model.maxPositions.toLocaleString('en')} tokens of context; ${mode.tokens.toLocaleString('en')} is beyond that, so this is arithmetic, not a model that would answer well.`] : []),
  ];
  const facts = [
    `Memory it needs: ${formatBytes(held)}, the weights${decoding ? ` and ${mode.batch === 1 ? 'the' : `${mode.batch} sequences'`} KV cache` : ''}; the bound assumes the device holds them.`,
    decoding
      ? `Time reading weights: ${formatPercent(light.shares.weights)}; reading and writing the KV cache: ${formatPercent(light.shares.cache)}; bound by compute: ${formatPercent(light.shares.compute)}; the rest (activations): ${formatPercent(Math.max(0, light.shares.other))}.`
      : `Time reading weights: ${formatPercent(light.shares.weights)}; bound by compute: ${formatPercent(light.shares.compute)}; the rest (activations): ${formatPercent(Math.max(0, light.shares.other))}.`,
    ...(model.experts ? [`Each token uses ${model.experts.topK} of ${model.experts.count} experts, so a step reads only the experts its tokens picked: ${formatBytes(graph.nodes.reduce((sum, node) => sum + (node.perLayer ? model.layers : 1) * node.weightBytes, 0))} of the ${formatBytes(graph.totals.weightBytes)} of weights here.`] : []),
    `Bandwidth used: ${formatBandwidth(memoryGBps(device.ceilings) * 1e9)}, ${device.datasheet ? "the datasheet's" : 'the faster of the measured copy and read'}. ${formatBytes(graph.totals.bytesPerStep)} cross memory in one step.`,
    device.measured ? againstMeasured(device, device.measured) : null,
    device.ceilings.launchSeconds !== undefined
      ? `Run as one dispatch per op (${light.ops} of them), the launch floor of ${formatSeconds(device.ceilings.launchSeconds)} would add ${formatSeconds(light.launchSeconds)} a step: ${formatPercent(light.launchSeconds / light.stepSeconds)} of the bound. Fusing ops is how a real engine stays near the bound.`
      : null,
  ];
  if (decoding) {
    const batch = computeBoundBatch(model, mode, device.ceilings);
    facts.push(
      batch
        ? `The products with the weights turn compute-bound from a batch of about ${batch} sequences; attention never does, since each sequence reads its own cache: ${model.heads / model.kvHeads} query head${model.heads === model.kvHeads ? '' : 's'} a KV head make ${attentionIntensity(model, mode).toPrecision(2)} FLOPs a byte of it, whatever the batch.`
        : 'Up to a batch of 4096, the products with the weights stay bandwidth-bound.',
    );
    const context = cacheOutweighsWeightsAt(graph);
    if (context) facts.push(`One sequence's KV cache (${formatBytes(graph.totals.kvBytesPerToken)} a token) outweighs the weights (${formatBytes(graph.totals.weightBytes)}) past ${context.toLocaleString('en')} tokens${mode.batch > 1 ? `; ${mode.batch} sequences' caches, past ${Math.ceil(context / mode.batch).toLocaleString('en')}` : ''}.`);
  }
  const variants = (model.architecture === 'encoder' ? [] : variantsOf(model, mode)).map((variant) => {
    const other = speedOfLight(opGraph(variant.model, variant.mode), device.ceilings);
    return `<tr><th scope="row">${escape(variant.label)}</th><td>${formatSeconds(other.stepSeconds)}</td><td>${rate(other.tokensPerSecond)}</td><td>${(light.stepSeconds / other.stepSeconds).toFixed(2)}×</td></tr>`;
  });
  const times = (perLayer: boolean) => (perLayer ? model.layers : 1);
  const rows = light.nodes.map(({ node, seconds, limitedBy }) => {
    const shapes = `${node.inputs.map((t) => t.shape.join('×')).join(', ')} → ${node.outputs.map((t) => t.shape.join('×')).join(', ')}`;
    return (
      `<tr><th scope="row">${escape(node.label)}${node.perLayer ? ` <span class="muted">×${model.layers}</span>` : ''}</th><td class="shapes">${shapes}</td>` +
      `<td>${node.weightBytes ? formatBytes(node.weightBytes) : '–'}</td><td>${flopsText(node.flops)}FLOP</td><td>${formatBytes(node.bytes)}</td>` +
      `<td>${formatSeconds(times(node.perLayer) * seconds)}</td><td class="bound-${limitedBy}">${limitedBy === 'compute' ? 'compute' : 'bandwidth'}</td></tr>`
    );
  });
  const html =
    `<p class="verdict" data-lead>${lead}</p>` +
    warnings.map((warning) => `<p class="warning" data-warning>${warning}</p>`).join('') +
    `<ul class="facts">${facts.filter(Boolean).map((fact) => `<li>${fact}</li>`).join('')}</ul>` +
    (variants.length > 0
      ? `<div class="table-scroll" tabindex="0" role="region" aria-label="What changes the speed of light"><table><caption>What changes it, on the same device</caption>` +
        `<thead><tr><th scope="col">variant</th><th scope="col">step, at least</th><th scope="col">tokens/s, at most</th><th scope="col">speedup</th></tr></thead><tbody>${variants.join('')}</tbody></table></div>`
      : '') +
    `<details><summary>Every op's bound (${light.nodes.length} ops, ${light.ops} with every layer counted)</summary><div class="table-scroll" tabindex="0" role="region" aria-label="Every op's bound"><table>` +
    `<thead><tr><th scope="col">op</th><th scope="col">shapes in → out</th><th scope="col">weights read (one layer)</th><th scope="col">FLOPs (one layer)</th><th scope="col">bytes (one layer)</th><th scope="col">bound, all layers</th><th scope="col">limited by</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div></details>`;
  return { html, limitedBy: Object.fromEntries(light.nodes.map((bound) => [bound.node.name, bound.limitedBy])) };
}
