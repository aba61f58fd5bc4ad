// Merges results files from one device call into one reference file (src/data/reference/<gpu>.json), with the
// GPU's name, the peers measured in the same call and each run's ceilings kept as notes.
// Usage: node scripts/merge-results.mjs OUT.json --gpu "NVIDIA H100 80GB HBM3" [--peers peers.txt] [--note TEXT]... RUN.json...
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const out = args.shift();
const notes = [];
const runs = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--gpu') notes.unshift(`gpu: ${args[++i]}`);
  else if (arg === '--note') notes.push(args[++i]);
  else if (arg === '--peers') {
    for (const line of readFileSync(args[++i], 'utf8').split('\n')) {
      if (line.startsWith('# ')) notes.push(`peers (PyTorch, same call): ${line.slice(2)}`);
      else if (line.startsWith('peer ')) notes.push(`peer ${line.slice(5)}`);
    }
  } else runs.push({ path: arg, file: JSON.parse(readFileSync(arg, 'utf8')) });
}
if (!out || runs.length === 0) {
  console.error('usage: node scripts/merge-results.mjs OUT.json --gpu NAME [--peers FILE] [--note TEXT]... RUN.json...');
  process.exit(2);
}
const [first] = runs;
const fmt = (c) => `copy ${c.copyGBps.toFixed(0)} GB/s, read ${c.readGBps?.toFixed(0) ?? '-'} GB/s, fp32 ${(c.fp32Gflops / 1e3).toFixed(2)} TFLOP/s` + (c.f16Gflops ? `, f16 ${(c.f16Gflops / 1e3).toFixed(1)} TFLOP/s` : '');
for (const { path, file } of runs) {
  notes.push(`run ${path.split('/').at(-1)} at ${file.date}: ${file.records.length} records, bounds from its own ceilings (${fmt(file.ceilings)})`);
}
const merged = { ...first.file, records: runs.flatMap(({ file }) => file.records), notes };
writeFileSync(out, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`wrote ${out}: ${merged.records.length} records from ${runs.length} runs`);
