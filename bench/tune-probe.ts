// Measurements behind the probe's kernels on a real GPU, beyond what the probe lab records. Not part of
// `npm run bench`; bundle it with
//   node scripts/bundle-bench.mjs build/tune-probe.mjs bench/tune-probe.ts
// and run it beside the bench (bash .gpu/on-device.sh build/tune-probe.mjs); `small` as its argument
// tries tiny sizes, to see it run on SwiftShader.
//  - copy: the probe's kernel against the queue's copyBufferToBuffer, with Dawn's robustness on (as in
//    a browser) and off;
//  - the FMA chains, f32 and f16, at several thread counts; the timestamp-vs-submit agreement.
import { WORD_BYTES } from '../src/kernels/copy/copy';
import { flops as fmaFlops, type FmaShape } from '../src/kernels/fma/fma';
import { requestNodeGpu } from '../src/kernels/gpu/node';
import type { GpuContext } from '../src/kernels/gpu/types';
import { timingAgreement } from '../src/labs/probe/agreement';
import { createCopyBuffers, measureCopy, measureFma } from '../src/labs/probe/measure';

const MiB = 2 ** 20;
const small = process.argv[2] === 'small';
const timing = small ? { warmup: 1, reps: 2 } : { warmup: 3, reps: 20, warmupSeconds: 0.3 };

async function copies(gpu: GpuContext, label: string) {
  const bytes = Math.min((small ? 2 : 1024) * MiB, gpu.limits['maxStorageBufferBindingSize']!);
  const words = Math.floor(bytes / WORD_BYTES);
  const buffers = createCopyBuffers(gpu.device, words);
  const gbps = (seconds: number) => ((2 * words * WORD_BYTES) / seconds / 1e9).toFixed(1);
  const kernel = await measureCopy(gpu, buffers, words, timing);
  const { seconds } = kernel.timing;
  console.log(`${label} copy kernel ${bytes / MiB} MiB: ${gbps(seconds.median)} GB/s (p10..p90 ${gbps(seconds.p90)}..${gbps(seconds.p10)}) ${kernel.timing.method}, check ${kernel.check.ok}`);
  // copyBufferToBuffer is no compute pass: batches timed from submit to onSubmittedWorkDone.
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

const shapes: FmaShape[] = small ? [{ threads: 1000, iterations: 64 }] : [{ threads: 2 ** 24, iterations: 512 }, { threads: 2 ** 25, iterations: 512 }];
let fp32Gflops = 0;
for (const precision of gpu.features.has('shader-f16') ? (['f32', 'f16'] as const) : (['f32'] as const)) {
  for (const shape of shapes) {
    const result = await measureFma(gpu, shape, precision, timing);
    const gflops = fmaFlops(shape) / result.timing.seconds.median / 1e9;
    if (precision === 'f32') fp32Gflops = Math.max(fp32Gflops, gflops);
    console.log(
      `fma ${precision} ${shape.threads} threads × ${shape.iterations}: ${(gflops / 1000).toFixed(2)} TFLOP/s ` +
        `median ${(result.timing.seconds.median * 1e3).toFixed(3)} ms (p10 ${(result.timing.seconds.p10 * 1e3).toFixed(3)}, p90 ${(result.timing.seconds.p90 * 1e3).toFixed(3)}) ${result.timing.method} check ${result.check.ok} (${result.check.maxRelError.toExponential(1)})`,
    );
  }
}
const agreement = await timingAgreement(gpu, { copyGBps: 1, fp32Gflops }, { warmup: 3, reps: 30 }, shapes[0]!.threads);
if (agreement) {
  console.log(
    `agreement ${agreement.shape.threads} threads × ${agreement.shape.iterations}: timestamp ${(agreement.timestamp.seconds.median * 1e3).toFixed(4)} ms, ` +
      `submit ${(agreement.submit.seconds.median * 1e3).toFixed(4)} ms, ratio ${agreement.ratio.toFixed(4)}`,
  );
}
gpu.device.destroy();
process.exit(0);
