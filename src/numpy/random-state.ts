/** A random stream bit-for-bit compatible with numpy's legacy `RandomState` (MT19937). */

import { glibcLog } from "./glibc-log";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The whole state of a {@link NumpyRandom}: enough to continue the stream exactly. */
export interface NumpyRandomState {
  key: Uint32Array;
  pos: number;
  hasGauss: boolean;
  gauss: number;
}

/**
 * numpy's `np.random.seed(seed)` followed by `randn`, `random_sample` and `choice(n, k)` with
 * replacement, reproduced exactly: same integers, same doubles, same Gaussian cache.
 */
export class NumpyRandom {
  private key = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;
  /** The last accepted polar pair (scratch of {@link polarPair}; not part of the state). */
  private x1 = 0;
  private x2 = 0;

  /** Seeds like `np.random.seed(seed)` with an integer (MT19937 `init_genrand`). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  /** Next raw 32-bit output (numpy `legacy` `random_uint32`). */
  nextUint32(): number {
    if (this.pos === N) this.twist();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits, as `random_sample()`. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** One standard normal draw: polar Box–Muller, second value cached, as `legacy_gauss`. */
  gaussian(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    const r2 = this.polarPair();
    const f = Math.sqrt((-2.0 * glibcLog(r2)) / r2);
    this.gauss = f * this.x1;
    this.hasGauss = true;
    return f * this.x2;
  }

  /**
   * Draws uniform pairs in (−1, 1)² until one falls inside the unit circle (not at its centre), as
   * `legacy_gauss` does; leaves it in x1, x2 and returns its squared radius.
   */
  private polarPair(): number {
    let r2: number;
    do {
      this.x1 = 2.0 * this.randomSample() - 1.0;
      this.x2 = 2.0 * this.randomSample() - 1.0;
      r2 = this.x1 * this.x1 + this.x2 * this.x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    return r2;
  }

  /**
   * Moves the stream past `count` Gaussians without computing them: the polar method's accepted
   * pairs are drawn as {@link gaussian} draws them, and only a pair whose second value stays
   * cached is finished (one log instead of one per pair).
   */
  skipGaussians(count: number): void {
    let left = count;
    if (left > 0 && this.hasGauss) {
      this.hasGauss = false;
      this.gauss = 0;
      left--;
    }
    for (let pairs = Math.ceil(left / 2); pairs > 0; pairs--) {
      const r2 = this.polarPair();
      // An odd count ends on a pair whose first value is returned and whose second stays cached.
      if (pairs === 1 && left % 2 === 1) {
        this.gauss = Math.sqrt((-2.0 * glibcLog(r2)) / r2) * this.x1;
        this.hasGauss = true;
      }
    }
  }

  /** Moves the stream past `count` {@link randomSample} draws (two 32-bit outputs each). */
  skipUniforms(count: number): void {
    for (let left = 2 * count; left > 0; ) {
      if (this.pos === N) this.twist();
      const step = Math.min(left, N - this.pos);
      this.pos += step;
      left -= step;
    }
  }

  /** Fills `out` with `randn` draws in order (row-major for a matrix), times `scale`. */
  fillNormal(out: Float64Array, scale = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = scale * this.gaussian();
    return out;
  }

  /** Fills `out` with `random_sample` draws in order. */
  fillUniform(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.randomSample();
    return out;
  }

  /** `choice(n, out.length)` with replacement: masked rejection sampling of uint32 draws. */
  fillChoice(n: number, out: Int32Array): Int32Array {
    if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
      throw new RangeError(`choice needs a population size in [1, 2^31 - 1], got ${n}`);
    }
    for (let i = 0; i < out.length; i++) out[i] = this.interval(n - 1);
    return out;
  }

  /**
   * numpy's `random_interval(max)` (also what legacy `randint` and `choice` draw with): a value in
   * [0, max] by masked rejection of 32-bit words; 0, drawing nothing, when max is 0.
   */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let v: number;
    do {
      v = (this.nextUint32() & mask) >>> 0;
    } while (v > max);
    return v;
  }

  /** `permutation(n)`: arange(n) shuffled as legacy `shuffle` does it, from the end, swapping i with random_interval(i). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** A copy of the state, safe to keep while the stream goes on. */
  getState(): NumpyRandomState {
    return { key: this.key.slice(), pos: this.pos, hasGauss: this.hasGauss, gauss: this.gauss };
  }

  /** Continues from a state taken with {@link getState}. */
  setState(state: NumpyRandomState): void {
    if (state.key.length !== N || state.pos < 0 || state.pos > N) {
      throw new RangeError(`random state needs ${N} key words and a position in [0, ${N}]`);
    }
    this.key.set(state.key);
    this.pos = state.pos;
    this.hasGauss = state.hasGauss;
    this.gauss = state.gauss;
  }

  private twist(): void {
    const mt = this.key;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }
}
