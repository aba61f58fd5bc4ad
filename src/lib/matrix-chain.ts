// The order of a matrix chain (the LoRA note's calculator): for M1·M2·…·Mn, the bracketing with the fewest FLOPs
// and the one with the most, by dynamic programming over every sub-chain (CLRS 15.2), counting 2·m·k·n FLOPs for
// an (m, k) times (k, n) product.

export interface ChainMatrix {
  name: string;
  rows: number;
  cols: number;
}

export interface Bracketing {
  flops: number;
  /** e.g. `(x·A)·B` */
  expression: string;
}

export interface ChainOrders {
  cheapest: Bracketing;
  dearest: Bracketing;
  /** How many bracketings there are (a Catalan number). */
  bracketings: number;
}

const MAX_MATRICES = 12;
const MAX_DIMENSION = 1e9;

/** Reads `x 4096×4096, A 4096×16, B 16×4096` (× or x, commas or new lines); throws a message a reader can act on. */
export function parseChain(text: string): ChainMatrix[] {
  const items = text
    .split(/[,\n;]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 1 && (items[0]!.match(/\d+\s*[×xX*]\s*\d+/g)?.length ?? 0) > 1) {
    throw new Error('Separate the matrices with commas, e.g. "x 4096×4096, A 4096×16".');
  }
  if (items.length < 2) throw new Error('Give at least two matrices, e.g. "x 4096×4096, A 4096×16".');
  if (items.length > MAX_MATRICES) throw new Error(`At most ${MAX_MATRICES} matrices, please (you gave ${items.length}).`);
  return items.map((item, i) => {
    // A name (letters first; digits, primes, ᵀ and _ after) and whole-number sides.
    const match = /^(?:([\p{L}][\p{L}\p{N}_ᵀ'′]*)[\s:]+)?(\d+)\s*[×xX*]\s*(\d+)$/u.exec(item);
    if (!match) throw new Error(`Matrix ${i + 1} ("${item}") should read as a name and whole-number sides, like "A 4096×16".`);
    const [rows, cols] = [Number(match[2]), Number(match[3])];
    if (!(rows >= 1 && cols >= 1 && rows <= MAX_DIMENSION && cols <= MAX_DIMENSION)) {
      throw new Error(`Matrix ${i + 1} ("${item}") needs sides from 1 to ${MAX_DIMENSION.toLocaleString('en')}.`);
    }
    return { name: match[1] ?? `M${i + 1}`, rows, cols };
  });
}

/** The cheapest and the dearest bracketing of the chain; throws where neighbours' shapes do not meet. */
export function chainOrders(chain: readonly ChainMatrix[]): ChainOrders {
  for (let i = 0; i + 1 < chain.length; i++) {
    const [left, right] = [chain[i]!, chain[i + 1]!];
    if (left.cols !== right.rows) {
      throw new Error(`${left.name} has ${left.cols} columns but ${right.name} has ${right.rows} rows, so they cannot be multiplied.`);
    }
  }
  const n = chain.length;
  const dims = [chain[0]!.rows, ...chain.map((matrix) => matrix.cols)];
  const best = (pick: (a: number, b: number) => boolean): Bracketing => {
    // cost[i][j]: FLOPs of the product of matrices i..j; split[i][j]: where its last multiplication splits it.
    const cost = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const split = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let length = 2; length <= n; length++) {
      for (let i = 0; i + length - 1 < n; i++) {
        const j = i + length - 1;
        let chosen = Number.NaN;
        for (let k = i; k < j; k++) {
          const flops = cost[i]![k]! + cost[k + 1]![j]! + 2 * dims[i]! * dims[k + 1]! * dims[j + 1]!;
          if (Number.isNaN(chosen) || pick(flops, chosen)) {
            chosen = flops;
            split[i]![j] = k;
          }
        }
        cost[i]![j] = chosen;
      }
    }
    const write = (i: number, j: number, outer: boolean): string => {
      if (i === j) return chain[i]!.name;
      const k = split[i]![j]!;
      const inner = `${write(i, k, false)}·${write(k + 1, j, false)}`;
      return outer ? inner : `(${inner})`;
    };
    return { flops: cost[0]![n - 1]!, expression: write(0, n - 1, true) };
  };
  return { cheapest: best((a, b) => a < b), dearest: best((a, b) => a > b), bracketings: catalan(n - 1) };
}

function catalan(n: number): number {
  let value = 1;
  for (let i = 0; i < n; i++) value = (value * 2 * (2 * i + 1)) / (i + 2);
  return Math.round(value);
}

/** FLOPs in words: `1.07 GFLOP`, `60 FLOP`, `4.00 EFLOP`. */
export function formatFlops(flops: number): string {
  const units = ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP', 'PFLOP', 'EFLOP'];
  let value = flops;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toPrecision(3)} ${units[unit]}`;
}

/** How much dearer the dearest bracketing is: `129×`, `1.50×`, `1,024×`. */
export const formatRatio = (ratio: number) => `${ratio >= 1000 ? Math.round(ratio).toLocaleString('en') : ratio.toPrecision(3)}×`;

/** The examples the LoRA note offers, at T = d = 4096 and r = 16. */
export const CHAIN_EXAMPLES: { label: string; chain: string }[] = [
  { label: "LoRA's branch, x·A·B", chain: 'x 4096×4096, A 4096×16, B 16×4096' },
  { label: 'its gradient dA = xᵀ·dY·Bᵀ', chain: 'xᵀ 4096×4096, dY 4096×4096, Bᵀ 4096×16' },
  { label: 'its gradient dB = Aᵀ·xᵀ·dY', chain: 'Aᵀ 16×4096, xᵀ 4096×4096, dY 4096×4096' },
  { label: "attention's scores X·W_q·W_kᵀ·Xᵀ (one head)", chain: 'X 4096×4096, W_q 4096×128, W_kᵀ 128×4096, Xᵀ 4096×4096' },
];
