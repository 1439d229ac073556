/**
 * A small seeded PRNG (sfc32) with the distributions the simulator needs. Every stream of
 * randomness is derived from the run's seed and a label, so adding a new random draw in one place
 * never shifts the numbers another place sees.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(seed: number, label = '') {
    // Mix seed and label into four 32-bit words (cyrb128-style), then warm up.
    let h1 = 1779033703 ^ seed;
    let h2 = 3144134277 ^ Math.imul(seed, 0x9e3779b1);
    let h3 = 1013904242;
    let h4 = 2773480762;
    for (let i = 0; i < label.length; i++) {
      const k = label.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    this.a = h1 >>> 0;
    this.b = h2 >>> 0;
    this.c = h3 >>> 0;
    this.d = h4 >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }

  /** Standard normal (Marsaglia polar method, one value cached). */
  normal(): number {
    if (this.spare === this.spare) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** Log-normal multiplier with median 1. */
  lognormal(sigma: number): number {
    return Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Where the stream is: its four words and the cached normal (NaN: none). */
  get state(): RngState {
    return [this.a, this.b, this.c, this.d, this.spare];
  }

  /** Continues the stream from a `state` read earlier: the same numbers follow. */
  set state(s: RngState) {
    [this.a, this.b, this.c, this.d, this.spare] = s;
  }
}

/** An `Rng`'s position: sfc32's four 32-bit words and the cached normal value. */
export type RngState = [number, number, number, number, number];
