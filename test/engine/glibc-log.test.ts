// Checks glibcLog bit for bit against the C library's log (glibc 2.36, Debian 2.36-9+deb12u14, x86-64 with FMA, on the dev machine) and its fma emulation against exact arithmetic.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fma, fmaSmallProduct, fmaSplitFactor, glibcLog, mulSubOne } from "../../src/numpy/glibc-log";

/** glibc's version as Python reports it, e.g. "glibc 2.36"; the oracle calls that library's log. */
const LIBC = spawnSync("python3", ["-c", "import platform; print(*platform.libc_ver())"], { encoding: "utf8" }).stdout.trim();
/** glibc's ifunc picks __log_fma, which glibcLog follows, on x86-64 CPUs with FMA and AVX2. */
const CPU_FLAGS =
  process.platform === "linux" && process.arch === "x64"
    ? (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].split(" ") ?? [])
    : [];
const CPU_HAS_FMA = CPU_FLAGS.includes("fma") && CPU_FLAGS.includes("avx2");

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);

function fromBits(bits: bigint): number {
  u64[0] = BigInt.asUintN(64, bits);
  return f64[0];
}

function toBits(x: number): bigint {
  f64[0] = x;
  return u64[0];
}

function hex(x: number): string {
  return `0x${toBits(x).toString(16).padStart(16, "0")}`;
}

/** A seeded xorshift32 stream: 32-bit words, 53-bit uniforms as numpy's legacy random_sample makes them, random doubles. */
function xorshift(seed: number) {
  let s = seed | 0;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return {
    next,
    /** (a·2^26 + b) / 2^53 from a 27-bit a and a 26-bit b, as rk_double. */
    uniform: (): number => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992,
    /** A double with the given biased exponent field and a random mantissa and sign bit as given. */
    double: (exponent: number, negative = false): number => {
      u32[0] = next();
      u32[1] = (negative ? 0x80000000 : 0) | (exponent << 20) | (next() & 0xfffff);
      return f64[0];
    },
  };
}

/** r2 = x1² + x2² in (0, 1) as numpy's legacy_gauss draws it before taking log(r2). */
function legacyGaussInputs(count: number, seed: number): number[] {
  const rng = xorshift(seed);
  const out: number[] = [];
  while (out.length < count) {
    const x1 = 2 * rng.uniform() - 1;
    const x2 = 2 * rng.uniform() - 1;
    const r2 = x1 * x1 + x2 * x2;
    if (r2 < 1 && r2 !== 0) out.push(r2);
  }
  return out;
}

function edgeCases(seed: number): number[] {
  const rng = xorshift(seed);
  const out: number[] = [0, -0, -1, -Number.MIN_VALUE, -Number.MAX_VALUE, -Infinity, Infinity, Number.NaN];
  out.push(Number.MAX_VALUE, 2 ** -1022, Number.MIN_VALUE, fromBits(0x000fffffffffffffn), 1);
  for (let e = -1074; e <= 1023; e++) out.push(2 ** e);
  for (let i = 0; i < 2000; i++) out.push(rng.double(0));
  for (let k = 1; k <= 64; k++) out.push(1 + k * 2 ** -52, 1 - k * 2 ** -53);
  // Ends of the table's subintervals: OFF + i·2^45 (i = 0..128) for several exponents, ± a few ulp.
  const OFF = 0x3fe6000000000000n;
  for (const k of [-1022, -500, -60, -3, -2, -1, 0, 1, 2, 60, 500, 1022]) {
    for (let i = 0n; i <= 128n; i++) {
      for (let d = -4n; d <= 4n; d++) {
        const x = fromBits(OFF + (i << 45n) + (BigInt(k) << 52n) + d);
        if (x > 0 && x < Infinity) out.push(x);
      }
    }
  }
  // Bounds of the near-1 window [0x3fee000000000000, 0x3ff1090000000000), and random values inside it.
  for (const bound of [0x3fee000000000000n, 0x3ff1090000000000n]) {
    for (let d = -8n; d <= 8n; d++) out.push(fromBits(bound + d));
  }
  for (let i = 0; i < 50_000; i++) out.push(1 - 2 ** -4 + rng.uniform() * (2 ** -4 + 0x109 * 2 ** -12));
  // Random doubles over all exponents (subnormals included), a few negative.
  for (let i = 0; i < 100_000; i++) out.push(rng.double(i % 2047, i % 97 === 0));
  return out;
}

/**
 * Inputs where glibc's formula evaluated without fused steps rounds differently from glibc (about 9
 * in 1,000,000 legacy_gauss inputs; these were found by comparing the two on 120,000,000 of them),
 * away from 1 and near 1: glibcLog's fast path must leave each of them to its exact tail.
 */
// biome-ignore format: four per line
const FUSED_MATTERS = [
  0.1552354132705395, 0.5003130125479678, 0.5701351398465208, 0.5820962946908788,
  0.5777937104355491, 0.5744861260784208, 0.6843613187826733, 0.5705764401588641,
  0.021245793754260164, 0.6210639039403113, 0.5664841290299285, 0.5229707101387588,
  0.1289741455365503, 0.6169780218559247, 0.2185561095612955, 0.6215475473215937,
  0.9518437400469036, 0.9457821100356582, 0.9414711022013951, 0.9628434668991956,
  0.9535081065335564, 0.9484109147299854, 0.9395175939968544, 0.9463903585674075,
  0.9668711976010911, 0.9394561153551793, 0.9474429530191191, 0.9604748867812214,
  0.9513634718875452, 0.9405336396309703, 0.9534631737236039, 0.9555652068110947,
];

/** The C library's log of each input, from scripts/glibc-log-oracle.py. */
function cLog(xs: Float64Array): Float64Array {
  const run = spawnSync("python3", ["scripts/glibc-log-oracle.py"], {
    input: new Uint8Array(xs.buffer),
    maxBuffer: 2 * xs.byteLength,
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  expect(run.stdout.byteLength).toBe(xs.byteLength);
  // Copied so that the Float64Array view starts on an 8-byte boundary.
  return new Float64Array(new Uint8Array(run.stdout).buffer);
}

describe.skipIf(!CPU_HAS_FMA)(`glibcLog against the C library's log (${LIBC}, FMA build)`, () => {
  it("equals the C library's log bit for bit on 1,000,000 legacy_gauss inputs, inputs where fusing matters, and edge cases", () => {
    const gauss = legacyGaussInputs(1_000_000, 0x2545f491);
    const xs = Float64Array.from([...gauss, ...FUSED_MATTERS, ...edgeCases(0x9e3779b9)]);
    const want = cLog(xs);
    const mismatches: string[] = [];
    for (let i = 0; i < xs.length; i++) {
      const got = glibcLog(xs[i]);
      // Object.is tells -0 from 0 and takes any NaN as NaN (glibc's NaN payloads are not modelled).
      if (!Object.is(got, want[i])) mismatches.push(`log(${hex(xs[i])}) = ${hex(got)}, glibc ${hex(want[i])}`);
    }
    expect(xs.length).toBeGreaterThan(1_150_000);
    expect(mismatches.length, mismatches.slice(0, 20).join("\n")).toBe(0);
  });
});

/** x = m · 2^e exactly, for finite x. */
function exact(x: number): [bigint, number] {
  const bits = toBits(x);
  const field = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const m = field === 0 ? frac : frac | (1n << 52n);
  return [bits >> 63n ? -m : m, (field === 0 ? 1 : field) - 1075];
}

/** m · 2^e rounded to the nearest double (ties to even), for results in the normal range. */
function roundExact(m: bigint, e: number): number {
  // Keep 64 bits or more with a sticky bit: enough for one correct rounding by Number(bigint).
  const size = (m < 0n ? -m : m).toString(16).length * 4;
  if (size > 64) {
    const shift = BigInt(size - 64);
    const sticky = (m & ((1n << shift) - 1n)) !== 0n ? 1n : 0n;
    m = (m >> shift) | sticky;
    e += size - 64;
  }
  return Number(m) * 2 ** e;
}

/** a·b + c rounded once, by exact integer arithmetic. */
function exactFma(a: number, b: number, c: number): number {
  const [ma, ea] = exact(a);
  const [mb, eb] = exact(b);
  const [mc, ec] = exact(c);
  const e = Math.min(ea + eb, ec);
  return roundExact(((ma * mb) << BigInt(ea + eb - e)) + (mc << BigInt(ec - e)), e);
}

describe("glibcLog's fused multiply-add emulation", () => {
  it("rounds z·invc − 1 once, as fma(z, invc, -1.0), on 100,000 pairs with z·invc near 1 and ~20,000 with z·invc in [1/2, 2]", () => {
    const rng = xorshift(0x1234567);
    const wrong: string[] = [];
    let cases = 0;
    for (let i = 0; i < 120_000; i++) {
      // z in [0x1.6p-1, 0x1.6p0) as glibcLog reduces it; invc ≈ (1 + d)/z with |d| < 2^-7, or z·invc anywhere in [1/2, 2].
      const z = 0.6875 + rng.uniform() * 0.6875;
      const invc = (i < 100_000 ? 1 + (rng.uniform() - 0.5) * 2 ** -6 : 0.5 + rng.uniform() * 1.5) / z;
      if (z * invc < 0.5 || z * invc > 2) continue;
      cases++;
      const got = mulSubOne(z, invc);
      const want = exactFma(z, invc, -1);
      if (!Object.is(got, want)) wrong.push(`z ${hex(z)} invc ${hex(invc)}: ${hex(got)}, exact ${hex(want)}`);
    }
    expect(cases).toBeGreaterThan(119_000);
    expect(wrong.length, wrong.slice(0, 10).join("\n")).toBe(0);
  });

  it("rounds a·b + c once on 200,000 random triples shaped like glibcLog's, also the cheap way when |a·b| ≤ |c|/8", () => {
    const rng = xorshift(0x7654321);
    const wrong: string[] = [];
    let small = 0;
    const check = (a: number, b: number, c: number) => {
      const want = exactFma(a, b, c);
      const got = fma(a, b, c);
      if (!Object.is(got, want)) wrong.push(`fma(${hex(a)}, ${hex(b)}, ${hex(c)}) = ${hex(got)}, exact ${hex(want)}`);
      if (Math.abs(a * b) > Math.abs(c) / 8) return;
      small++;
      const cheap = fmaSmallProduct(a, b, c);
      if (!Object.is(cheap, want))
        wrong.push(`fmaSmallProduct(${hex(a)}, ${hex(b)}, ${hex(c)}) = ${hex(cheap)}, exact ${hex(want)}`);
    };
    const coefficient = () => (rng.next() & 1 ? -1 : 1) * (0.08 + rng.uniform() * 0.42);
    for (let i = 0; i < 50_000; i++) {
      // Polynomial steps: small r (|r| < 2^-4 near 1, < 2^-8 otherwise, down to ~2^-60) times a coefficient plus another.
      const r = (rng.uniform() - 0.5) * 2 ** (-3 - (i % 58));
      check(r, coefficient(), coefficient());
      check(r * r * r, coefficient(), coefficient() * 2 ** -(i % 40));
      // lo = fma(k, Ln2lo, t) with |t| around an ulp of hi, and the near-1 lo step.
      check((i % 2099) - 1075, 5.497923018708371e-14, (rng.uniform() - 0.5) * 2 ** -(40 + (i % 30)));
      check((rng.uniform() - 0.5) * 2 ** -30, (rng.uniform() - 0.5) * 2 ** -3, (rng.uniform() - 0.5) * 2 ** -(55 + (i % 20)));
    }
    expect(wrong.length, wrong.slice(0, 10).join("\n")).toBe(0);
    expect(small).toBeGreaterThan(90_000);
  });

  it("rounds k·Ln2lo + t and r2·A0 + c once, splitting the constant factor, on 100,000 cases", () => {
    const rng = xorshift(0x5eed1e55);
    const wrong: string[] = [];
    // glibc's Ln2lo as 42 + 7 bits, and A0 = −1/2 − 2^-53, as glibcLog splits them.
    const ln2lo = [5.497923018708371e-14, 5.49792301870721e-14, 1.1612032524853294e-26];
    const a0 = [-0.5000000000000001, -0.5, -(2 ** -53)];
    for (const [b, bh, bl] of [ln2lo, a0]) {
      const [m, e] = exact(b);
      const [mh, eh] = exact(bh);
      const [ml, el] = exact(bl);
      expect((mh << BigInt(eh - el)) + ml).toBe(m << BigInt(e - el));
    }
    const check = (a: number, [b, bh, bl]: number[], c: number) => {
      const got = fmaSplitFactor(a, b, bh, bl, c);
      const want = exactFma(a, b, c);
      if (!Object.is(got, want)) wrong.push(`fma(${hex(a)}, ${hex(b)}, ${hex(c)}) = ${hex(got)}, exact ${hex(want)}`);
    };
    for (let i = 0; i < 50_000; i++) {
      check((i % 2099) - 1075, ln2lo, (rng.uniform() - 0.5) * 2 ** -(36 + (i % 40)));
      // r2 down to 2^-120; c around r2/2 (cancellation) or smaller.
      const r2 = rng.uniform() * 2 ** -(14 + (i % 106));
      check(r2, a0, r2 * (0.4 + rng.uniform() * 0.2) * 2 ** -(i % 60));
    }
    expect(wrong.length, wrong.slice(0, 10).join("\n")).toBe(0);
  });

  it("rounds a·b + c once, also the cheap way, on 50,000 triples where fl(a·b) + c is a tie that the product's error breaks", () => {
    const rng = xorshift(0x31415926);
    const wrong: string[] = [];
    let plainWrong = 0;
    let cases = 0;
    const ulp = 2 ** -54; // spacing of doubles in [1/4, 1/2)
    while (cases < 50_000) {
      // p = fl(a·b), an odd multiple of ulp/2 below 2^-9, with an inexact product; c on the ulp grid
      // in [1/4, 3/8]: p + c is then exactly halfway between two doubles and only a·b − p decides.
      const j = Math.floor(rng.uniform() * 2 ** 45);
      const p = (2 * j + 1) * (ulp / 2);
      const sign = rng.next() & 1 ? -1 : 1;
      const a = 1 + rng.uniform();
      const b = (sign * p) / a;
      if (a * b !== sign * p || exactFma(a, b, -sign * p) === 0) continue;
      const c = sign * (0.25 + Math.floor(rng.uniform() * 2 ** 51) * ulp);
      cases++;
      const want = exactFma(a, b, c);
      if (a * b + c !== want) plainWrong++;
      for (const [name, got] of [
        ["fma", fma(a, b, c)],
        ["fmaSmallProduct", fmaSmallProduct(a, b, c)],
      ] as const) {
        if (!Object.is(got, want)) wrong.push(`${name}(${hex(a)}, ${hex(b)}, ${hex(c)}) = ${hex(got)}, exact ${hex(want)}`);
      }
    }
    expect(wrong.length, wrong.slice(0, 10).join("\n")).toBe(0);
    // The cases are hard ones: an unfused a·b + c misrounds about half of them.
    expect(plainWrong).toBeGreaterThan(10_000);
  });

  it("rounds a·b + c once on 20,000 triples where the product's error is far below the tie it breaks", () => {
    // Odd integer mantissas with A·B = P ≡ ±1 (mod 2^54) (B = ±1/A mod 2^54): fl(a·b) = P ∓ 1 has its lowest
    // bit at 2^L, L ≥ 54, and c puts fl(a·b) + c exactly halfway on a grid of 2^(L+1). The product's error ±1
    // then lies 54 bits or more below the tie's se = ±2^L, so the nearest rounding of se ± 1 is se and the
    // tie comes back: fma must see it and let the lost ±1 break it.
    const rng = xorshift(0x27182818);
    const wrong: string[] = [];
    let plainWrong = 0;
    let cases = 0;
    const MOD = 1n << 54n;
    while (cases < 20_000) {
      const A = (1n << 52n) | (BigInt(rng.next()) << 20n) | BigInt(rng.next() >>> 12) | 1n;
      let inv = A;
      for (let n = 0; n < 6; n++) inv = (inv * (2n - A * inv)) % MOD;
      inv = (inv + MOD) % MOD;
      const B = rng.next() & 1 ? inv : MOD - inv;
      if (B < 1n << 52n || B >= 1n << 53n) continue;
      const P = A * B;
      const p = P % MOD === 1n ? P - 1n : P + 1n;
      let L = 0n;
      while (((p >> L) & 1n) === 0n) L++;
      const S = (1n << 52n) | (BigInt(rng.next()) << 20n) | BigInt(rng.next() >>> 12);
      const C = S * (1n << (L + 1n)) + (1n << L) - p;
      // Scale a into [1, 2) or a bit below, b and c to magnitudes like glibcLog's; random signs.
      const ea = -52 - (rng.next() % 8);
      const eb = -52 - (rng.next() % 60);
      const sign = rng.next() & 1 ? -1 : 1;
      const a = sign * Number(A) * 2 ** ea;
      const b = (rng.next() & 1 ? -1 : 1) * Number(B) * 2 ** eb;
      const c = Math.sign(a * b) * Number(C) * 2 ** (ea + eb);
      cases++;
      const got = fma(a, b, c);
      const want = exactFma(a, b, c);
      if (a * b + c !== want) plainWrong++;
      if (!Object.is(got, want)) wrong.push(`fma(${hex(a)}, ${hex(b)}, ${hex(c)}) = ${hex(got)}, exact ${hex(want)}`);
    }
    expect(wrong.length, wrong.slice(0, 10).join("\n")).toBe(0);
    expect(plainWrong).toBeGreaterThan(5_000);
  });
});
