// Experiments behind the probe's kernels on a real GPU. Not part of `npm run bench`; bundle it with
//   node scripts/bundle-bench.mjs build/tune-probe.mjs bench/tune-probe.ts
// and run it beside the bench (bash .gpu/on-device.sh build/tune-probe.mjs); `small` as its argument
// tries tiny sizes, to see it run on SwiftShader. What it prints is timing only, except the FMA lines,
// which go through the probe's checked measurement.
//  - copy: the probe's grid-stride copy, a one-word-per-thread copy, and the queue's copyBufferToBuffer,
//    each with Dawn's robustness on (as in a browser) and off;
//  - FMA chains, f32 and f16; the timestamp-vs-submit agreement.
import { createCopy, DEFAULT_COPY, WORD_BYTES } from '../src/kernels/copy/copy';
import { flops as fmaFlops } from '../src/kernels/fma/fma';
import { requestNodeGpu } from '../src/kernels/gpu/node';
import { measure } from '../src/kernels/gpu/timing';
import type { GpuContext } from '../src/kernels/gpu/types';
import { timingAgreement } from '../src/labs/probe/agreement';
import { createCopyBuffers, measureFma } from '../src/labs/probe/measure';

const MiB = 2 ** 20;
const small = process.argv[2] === 'small';
const timing = small ? { warmup: 1, reps: 2 } : { warmup: 3, reps: 20 };

// One word per thread, no loop: (x, y) grid of 256-thread workgroups.
const simpleCopy = /* wgsl */ `
@group(0) @binding(0) var<storage, read> source: array<vec4u>;            // (words)
@group(0) @binding(1) var<storage, read_write> destination: array<vec4u>; // (words)
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * 256u + id.x;
  if (i < arrayLength(&source)) { destination[i] = source[i]; }
}`;

async function copies(gpu: GpuContext, label: string) {
  const bytes = Math.min((small ? 2 : 1024) * MiB, gpu.limits['maxStorageBufferBindingSize']!);
  const words = Math.floor(bytes / WORD_BYTES);
  const buffers = createCopyBuffers(gpu.device, words);
  const gbps = (seconds: number) => ((2 * words * WORD_BYTES) / seconds / 1e9).toFixed(1);
  const report = (name: string, result: { seconds: { median: number; p10: number; p90: number }; method: string }) =>
    console.log(`${label} ${name} ${bytes / MiB} MiB: ${gbps(result.seconds.median)} GB/s (p90 time ${gbps(result.seconds.p90)}, p10 time ${gbps(result.seconds.p10)}) ${result.method}`);
  const gridStride = createCopy(gpu.device, buffers, { words }, DEFAULT_COPY);
  report(`grid-stride ${DEFAULT_COPY.workgroupSize}×${DEFAULT_COPY.vec4PerThread}`, await measure(gpu, gridStride, { ...timing, warmupSeconds: 0.3 }));
  const pipeline = gpu.device.createComputePipeline({ label: 'simple copy', layout: 'auto', compute: { module: gpu.device.createShaderModule({ label: 'simple copy', code: simpleCopy }) } });
  const bindGroup = gpu.device.createBindGroup({
    label: 'simple copy',
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: buffers.source } },
      { binding: 1, resource: { buffer: buffers.destination } },
    ],
  });
  const groups = Math.ceil(words / 256);
  report('one word per thread', await measure(gpu, (pass) => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.min(groups, 32768), Math.ceil(groups / 32768));
  }, { ...timing, warmupSeconds: 0.3 }));
  // copyBufferToBuffer is no compute pass: a batch timed from submit to onSubmittedWorkDone.
  const samples: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    const encoder = gpu.device.createCommandEncoder({ label: 'queue copy' });
    for (let i = 0; i < 20; i++) encoder.copyBufferToBuffer(buffers.source, 0, buffers.destination, 0, words * WORD_BYTES);
    const start = performance.now();
    gpu.device.queue.submit([encoder.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
    samples.push((performance.now() - start) / 1000 / 20);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label} copyBufferToBuffer ${bytes / MiB} MiB: ${gbps(samples[3]!)} GB/s (submit, batches of 20, median of 6)`);
  buffers.destroy();
}

const gpu = await requestNodeGpu({ label: 'tune probe' });
console.log(`${gpu.info.description} (${gpu.info.vendor}); features: ${[...gpu.features].sort().join(', ')}`);
await copies(gpu, 'robust');
const unsafe = await requestNodeGpu({ label: 'tune probe, no robustness', flags: ['enable-dawn-features=vulkan_enable_f16_on_nvidia,allow_unsafe_apis,disable_robustness'] });
await copies(unsafe, 'no-robustness');
unsafe.device.destroy();

const shape = small ? { threads: 1000, iterations: 64 } : { threads: 2 ** 24, iterations: 512 };
let fp32Gflops = 0;
for (const precision of gpu.features.has('shader-f16') ? (['f32', 'f16'] as const) : (['f32'] as const)) {
  const result = await measureFma(gpu, shape, precision, { ...timing, warmupSeconds: 0.3 });
  const gflops = fmaFlops(shape) / result.timing.seconds.median / 1e9;
  if (precision === 'f32') fp32Gflops = gflops;
  console.log(
    `fma ${precision} ${shape.threads} threads × ${shape.iterations}: ${(gflops / 1000).toFixed(2)} TFLOP/s ` +
      `median ${(result.timing.seconds.median * 1e3).toFixed(3)} ms (p10 ${(result.timing.seconds.p10 * 1e3).toFixed(3)}, p90 ${(result.timing.seconds.p90 * 1e3).toFixed(3)}) ${result.timing.method} check ${result.check.ok} (${result.check.maxRelError.toExponential(1)})`,
  );
}
const agreement = await timingAgreement(gpu, { copyGBps: 1, fp32Gflops }, { warmup: 3, reps: 30 }, shape.threads);
if (agreement) {
  console.log(
    `agreement ${shape.threads} threads × ${agreement.shape.iterations}: timestamp ${(agreement.timestamp.seconds.median * 1e3).toFixed(4)} ms, ` +
      `submit ${(agreement.submit.seconds.median * 1e3).toFixed(4)} ms, ratio ${agreement.ratio.toFixed(4)}`,
  );
}
gpu.device.destroy();
process.exit(0);
