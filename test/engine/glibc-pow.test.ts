// Checks glibcPow10 bit for bit against Python's 10 ** y, the C library's pow (glibc 2.36, x86-64 with FMA, on the dev machine).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { glibcPow10, POW10_MAX_EXPONENT } from "../../src/numpy/glibc-pow";

const LIBC = spawnSync("python3", ["-c", "import platform; print(*platform.libc_ver())"], { encoding: "utf8" }).stdout.trim();
/** glibc's ifunc picks __pow_fma, which glibcPow10 follows, on x86-64 CPUs with FMA and AVX2. */
const CPU_FLAGS =
  process.platform === "linux" && process.arch === "x64"
    ? (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].split(" ") ?? [])
    : [];
const CPU_HAS_FMA = CPU_FLAGS.includes("fma") && CPU_FLAGS.includes("avx2");

/** Python's 10 ** y of each y, from scripts/glibc-pow10-oracle.py. */
function pythonPow10(ys: Float64Array): Float64Array {
  const run = spawnSync("python3", ["scripts/glibc-pow10-oracle.py"], {
    input: new Uint8Array(ys.buffer),
    maxBuffer: 2 * ys.byteLength,
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  return new Float64Array(new Uint8Array(run.stdout).buffer);
}

/** Uniforms as numpy's legacy random_sample makes them, (a·2^26 + b) / 2^53, from a seeded xorshift32. */
function uniforms(count: number, seed: number): number[] {
  let s = seed | 0;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return Array.from({ length: count }, () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992);
}

describe.skipIf(!CPU_HAS_FMA)(`glibcPow10 against Python's 10 ** y (${LIBC}, FMA build)`, () => {
  it("equals it bit for bit on the book's draws (uniform(-4, -8), uniform(-2, -6)), 1,000,000 of them", () => {
    const u = uniforms(1_000_000, 0x2545f491);
    const ys = Float64Array.from(u, (v, i) => (i % 2 === 0 ? -4 + (-8 - -4) * v : -2 + (-6 - -2) * v));
    const want = pythonPow10(ys);
    // (V8's own 10 ** y differs from it in about 1 in 10 of these in Node 20, in none in Node 24:
    // which pow a runtime ships is not ours to choose.)
    let mismatches = 0;
    for (let i = 0; i < ys.length; i++) if (!Object.is(glibcPow10(ys[i]), want[i])) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("equals it over the whole domain: ±200, integers, halves, tiny exponents and random values", () => {
    const ys: number[] = [0, -0, 2 ** -60, -(2 ** -60), 2 ** -54, 1e-17, POW10_MAX_EXPONENT, -POW10_MAX_EXPONENT];
    for (let k = -200; k < 200; k++) ys.push(k, k + 0.5);
    for (const v of uniforms(200_000, 0x9e3779b9)) ys.push(-200 + 400 * v);
    const xs = Float64Array.from(ys);
    const want = pythonPow10(xs);
    const mismatches = ys.filter((y, i) => !Object.is(glibcPow10(y), want[i]));
    expect(mismatches).toEqual([]);
  });

  it("refuses exponents beyond its domain rather than guess at glibc's special cases", () => {
    expect(() => glibcPow10(201)).toThrow(RangeError);
    expect(() => glibcPow10(Number.NaN)).toThrow(RangeError);
  });
});
