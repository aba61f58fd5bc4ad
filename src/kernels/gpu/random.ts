// Seeded random inputs, so a failing check can be reproduced. Random, never zeros (DESIGN.md).

export type Distribution =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'gaussian'; mean: number; std: number }
  | { kind: 'laplace'; location: number; scale: number };

/**
 * A small seeded generator: a 32-bit state advanced by a Weyl step and mixed by two
 * multiply-xorshift rounds (the mulberry32 construction), written for this project.
 */
export class Random {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform number in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let mixed = this.state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low = -1, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Normal(mean, std) by the Box–Muller transform; the second value of each pair is kept for the next call. */
  gaussian(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return mean + std * value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** Laplace(location, scale) by inverting its CDF: the shape of LLM hidden states (TEAL). */
  laplace(location = 0, scale = 1): number {
    const u = this.next() - 0.5;
    return location - scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }

  sample(dist: Distribution): number {
    switch (dist.kind) {
      case 'uniform':
        return this.uniform(dist.low, dist.high);
      case 'gaussian':
        return this.gaussian(dist.mean, dist.std);
      case 'laplace':
        return this.laplace(dist.location, dist.scale);
    }
  }

  /** Fills `array` with draws from `dist` and returns it. */
  fill<T extends { length: number; [index: number]: number }>(array: T, dist: Distribution): T {
    for (let i = 0; i < array.length; i++) array[i] = this.sample(dist);
    return array;
  }
}
