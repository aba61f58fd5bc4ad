// Merges results files from one device call into one reference file (src/data/reference/<gpu>.json): the GPU's
// name, the peers measured in the same call (PyTorch through peers.py) as data, and each run's ceilings.
// Usage: node scripts/merge-results.mjs OUT.json --gpu "NVIDIA H100 80GB HBM3" [--peers peers.txt] [--note TEXT]... RUN.json...
// peers.txt holds peers.py's output: `# <GPU> torch <version>`, then `peer <name>: <µs> us [key=value]...` lines.
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const out = args.shift();
const notes = [];
const peers = [];
const runs = [];
let gpu;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--gpu') gpu = args[++i];
  else if (arg === '--note') notes.push(args[++i]);
  else if (arg === '--peers') {
    let library = 'unknown';
    for (const line of readFileSync(args[++i], 'utf8').split('\n')) {
      const header = /^# .* (torch \S+)$/.exec(line);
      if (header) library = header[1];
      const peer = /^peer (.*): ([\d.]+) us ?(.*)$/.exec(line);
      if (!peer) continue;
      const figures = Object.fromEntries(peer[3].split(/\s+/).filter(Boolean).map((pair) => pair.split('=')).map(([key, value]) => [key, Number(value)]));
      peers.push({ name: peer[1], library, seconds: Number(peer[2]) * 1e-6, ...(Object.keys(figures).length > 0 && { figures }) });
    }
  } else runs.push({ path: arg, file: JSON.parse(readFileSync(arg, 'utf8')) });
}
if (!out || runs.length === 0 || !gpu) {
  console.error('usage: node scripts/merge-results.mjs OUT.json --gpu NAME [--peers FILE] [--note TEXT]... RUN.json...');
  process.exit(2);
}
const [first] = runs;
const merged = {
  ...first.file,
  device: { ...first.file.device, name: gpu },
  records: runs.flatMap(({ file }) => file.records),
  peers,
  runs: runs.map(({ path, file }) => ({ file: path.split('/').at(-1), date: file.date, records: file.records.length, ceilings: file.ceilings })),
  ...(notes.length > 0 ? { notes } : {}),
};
if (notes.length === 0) delete merged.notes;
writeFileSync(out, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`wrote ${out}: ${merged.records.length} records from ${runs.length} runs, ${peers.length} peers`);
