// glibc's pow(10, y) as its x86-64 FMA build computes it, bit for bit, in JavaScript.

/*
 * The book's random search raises 10 to a uniform draw: `10 ** np.random.uniform(-4, -8)` is a
 * Python float power, which calls the C library's `pow`. Since glibc 2.28 that is ARM's
 * optimized-routines algorithm (glibc sysdeps/ieee754/dbl-64/e_pow.c): log(x) to about 68 bits
 * as hi + lo from a 128-entry table and a degree-8 polynomial, y·log(x) as ehi + elo, then
 * exp(ehi + elo) from a 2^(k/128) table and a degree-5 polynomial; within 0.52 ULP, not always
 * correctly rounded, so Node 20's Math.pow (and even a correctly rounded 10^y) differ from it. On x86-64
 * CPUs with FMA and AVX2, glibc's ifunc picks `__pow_fma`, and GCC fuses most a·b + c of the C
 * source. The steps below follow the machine code of `__pow_fma` in Debian 12's glibc 2.36
 * (objdump of libm.so.6, the function at 0x6f250), one rounding per instruction, each fused step
 * emulated exactly by glibc-log.ts's `fma`. x is 10 here, so log(10)'s hi and lo are computed once,
 * from its table entry. The constants and the exp table are glibc's `__pow_log_data` entry 107
 * and `__exp_data` (e_pow_log_data.c, e_exp_data.c), read from that libm.so.6.
 */

import { fma } from "./glibc-log";

// __pow_log_data: ln2 split, poly A[0..6] (log1p(r) − r scaled), and entry i = 107 for x = 10.
const LN2HI = 0.6931471805598903; // 0x1.62e42fefa3800p-1
const LN2LO = 5.497923018708371e-14; // 0x1.ef35793c76730p-45
const A0 = -0.5;
const A1 = -0.6666666666666679; // -0x1.5555555555560p-1
const A2 = 0.5000000000000007; // 0x1.0000000000006p-1
const A3 = 0.7999999995323976; // 0x1.999999959554ep-1
const A4 = -0.6666666663487739; // -0x1.555555529a47ap-1
const A5 = -1.142909628459501; // -0x1.2495b9b4845e9p+0
const A6 = 1.0000415263675542; // 0x1.0002b8b263fc3p+0
const INVC_107 = 0.80078125; // 0x1.9a00000000000p-1
const LOGC_107 = 0.22216746534115828; // 0x1.c6ffbc6f01000p-3
const LOGCTAIL_107 = -3.979844515951702e-15; // -0x1.1ec72c5962bd2p-48

// __exp_data: 128/ln2, −ln2/128 split, the polynomial's C2..C5 and the rounding shift 0x1.8p52.
const INV_LN2_N = 184.6649652337873; // 0x1.71547652b82fep+7
const NEG_LN2_HI_N = -0.005415212348111709; // -0x1.62e42fefa0000p-8
const NEG_LN2_LO_N = -1.2864023111638346e-14; // -0x1.cf79abc9e3b3ap-47
const C2 = 0.49999999999996786; // 0x1.ffffffffffdbdp-2
const C3 = 0.16666666666665886; // 0x1.555555555543cp-3
const C4 = 0.0416666808410674; // 0x1.55555cf172b91p-5
const C5 = 0.008333335853059549; // 0x1.1111167a4d017p-7
const SHIFT = 6755399441055744; // 0x1.8p52

/**
 * tab[2j], tab[2j + 1] for j = 0..127: the bits of tail and of 2^(j/128) − (j << 45), so that
 * adding k << 45 to the second gives the scale 2^(k/128) without its table index.
 */
// biome-ignore format: one pair per line, as in e_exp_data.c
const TAB = new BigUint64Array([
  0x0000000000000000n, 0x3ff0000000000000n,
  0x3c9b3b4f1a88bf6en, 0x3feff63da9fb3335n,
  0xbc7160139cd8dc5dn, 0x3fefec9a3e778061n,
  0xbc905e7a108766d1n, 0x3fefe315e86e7f85n,
  0x3c8cd2523567f613n, 0x3fefd9b0d3158574n,
  0xbc8bce8023f98efan, 0x3fefd06b29ddf6den,
  0x3c60f74e61e6c861n, 0x3fefc74518759bc8n,
  0x3c90a3e45b33d399n, 0x3fefbe3ecac6f383n,
  0x3c979aa65d837b6dn, 0x3fefb5586cf9890fn,
  0x3c8eb51a92fdeffcn, 0x3fefac922b7247f7n,
  0x3c3ebe3d702f9cd1n, 0x3fefa3ec32d3d1a2n,
  0xbc6a033489906e0bn, 0x3fef9b66affed31bn,
  0xbc9556522a2fbd0en, 0x3fef9301d0125b51n,
  0xbc5080ef8c4eea55n, 0x3fef8abdc06c31ccn,
  0xbc91c923b9d5f416n, 0x3fef829aaea92de0n,
  0x3c80d3e3e95c55afn, 0x3fef7a98c8a58e51n,
  0xbc801b15eaa59348n, 0x3fef72b83c7d517bn,
  0xbc8f1ff055de323dn, 0x3fef6af9388c8dean,
  0x3c8b898c3f1353bfn, 0x3fef635beb6fcb75n,
  0xbc96d99c7611eb26n, 0x3fef5be084045cd4n,
  0x3c9aecf73e3a2f60n, 0x3fef54873168b9aan,
  0xbc8fe782cb86389dn, 0x3fef4d5022fcd91dn,
  0x3c8a6f4144a6c38dn, 0x3fef463b88628cd6n,
  0x3c807a05b0e4047dn, 0x3fef3f49917ddc96n,
  0x3c968efde3a8a894n, 0x3fef387a6e756238n,
  0x3c875e18f274487dn, 0x3fef31ce4fb2a63fn,
  0x3c80472b981fe7f2n, 0x3fef2b4565e27cddn,
  0xbc96b87b3f71085en, 0x3fef24dfe1f56381n,
  0x3c82f7e16d09ab31n, 0x3fef1e9df51fdee1n,
  0xbc3d219b1a6fbffan, 0x3fef187fd0dad990n,
  0x3c8b3782720c0ab4n, 0x3fef1285a6e4030bn,
  0x3c6e149289cecb8fn, 0x3fef0cafa93e2f56n,
  0x3c834d754db0abb6n, 0x3fef06fe0a31b715n,
  0x3c864201e2ac744cn, 0x3fef0170fc4cd831n,
  0x3c8fdd395dd3f84an, 0x3feefc08b26416ffn,
  0xbc86a3803b8e5b04n, 0x3feef6c55f929ff1n,
  0xbc924aedcc4b5068n, 0x3feef1a7373aa9cbn,
  0xbc9907f81b512d8en, 0x3feeecae6d05d866n,
  0xbc71d1e83e9436d2n, 0x3feee7db34e59ff7n,
  0xbc991919b3ce1b15n, 0x3feee32dc313a8e5n,
  0x3c859f48a72a4c6dn, 0x3feedea64c123422n,
  0xbc9312607a28698an, 0x3feeda4504ac801cn,
  0xbc58a78f4817895bn, 0x3feed60a21f72e2an,
  0xbc7c2c9b67499a1bn, 0x3feed1f5d950a897n,
  0x3c4363ed60c2ac11n, 0x3feece086061892dn,
  0x3c9666093b0664efn, 0x3feeca41ed1d0057n,
  0x3c6ecce1daa10379n, 0x3feec6a2b5c13cd0n,
  0x3c93ff8e3f0f1230n, 0x3feec32af0d7d3den,
  0x3c7690cebb7aafb0n, 0x3feebfdad5362a27n,
  0x3c931dbdeb54e077n, 0x3feebcb299fddd0dn,
  0xbc8f94340071a38en, 0x3feeb9b2769d2ca7n,
  0xbc87deccdc93a349n, 0x3feeb6daa2cf6642n,
  0xbc78dec6bd0f385fn, 0x3feeb42b569d4f82n,
  0xbc861246ec7b5cf6n, 0x3feeb1a4ca5d920fn,
  0x3c93350518fdd78en, 0x3feeaf4736b527dan,
  0x3c7b98b72f8a9b05n, 0x3feead12d497c7fdn,
  0x3c9063e1e21c5409n, 0x3feeab07dd485429n,
  0x3c34c7855019c6ean, 0x3feea9268a5946b7n,
  0x3c9432e62b64c035n, 0x3feea76f15ad2148n,
  0xbc8ce44a6199769fn, 0x3feea5e1b976dc09n,
  0xbc8c33c53bef4da8n, 0x3feea47eb03a5585n,
  0xbc845378892be9aen, 0x3feea34634ccc320n,
  0xbc93cedd78565858n, 0x3feea23882552225n,
  0x3c5710aa807e1964n, 0x3feea155d44ca973n,
  0xbc93b3efbf5e2228n, 0x3feea09e667f3bcdn,
  0xbc6a12ad8734b982n, 0x3feea012750bdabfn,
  0xbc6367efb86da9een, 0x3fee9fb23c651a2fn,
  0xbc80dc3d54e08851n, 0x3fee9f7df9519484n,
  0xbc781f647e5a3ecfn, 0x3fee9f75e8ec5f74n,
  0xbc86ee4ac08b7db0n, 0x3fee9f9a48a58174n,
  0xbc8619321e55e68an, 0x3fee9feb564267c9n,
  0x3c909ccb5e09d4d3n, 0x3feea0694fde5d3fn,
  0xbc7b32dcb94da51dn, 0x3feea11473eb0187n,
  0x3c94ecfd5467c06bn, 0x3feea1ed0130c132n,
  0x3c65ebe1abd66c55n, 0x3feea2f336cf4e62n,
  0xbc88a1c52fb3cf42n, 0x3feea427543e1a12n,
  0xbc9369b6f13b3734n, 0x3feea589994cce13n,
  0xbc805e843a19ff1en, 0x3feea71a4623c7adn,
  0xbc94d450d872576en, 0x3feea8d99b4492edn,
  0x3c90ad675b0e8a00n, 0x3feeaac7d98a6699n,
  0x3c8db72fc1f0eab4n, 0x3feeace5422aa0dbn,
  0xbc65b6609cc5e7ffn, 0x3feeaf3216b5448cn,
  0x3c7bf68359f35f44n, 0x3feeb1ae99157736n,
  0xbc93091fa71e3d83n, 0x3feeb45b0b91ffc6n,
  0xbc5da9b88b6c1e29n, 0x3feeb737b0cdc5e5n,
  0xbc6c23f97c90b959n, 0x3feeba44cbc8520fn,
  0xbc92434322f4f9aan, 0x3feebd829fde4e50n,
  0xbc85ca6cd7668e4bn, 0x3feec0f170ca07ban,
  0x3c71affc2b91ce27n, 0x3feec49182a3f090n,
  0x3c6dd235e10a73bbn, 0x3feec86319e32323n,
  0xbc87c50422622263n, 0x3feecc667b5de565n,
  0x3c8b1c86e3e231d5n, 0x3feed09bec4a2d33n,
  0xbc91bbd1d3bcbb15n, 0x3feed503b23e255dn,
  0x3c90cc319cee31d2n, 0x3feed99e1330b358n,
  0x3c8469846e735ab3n, 0x3feede6b5579fdbfn,
  0xbc82dfcd978e9db4n, 0x3feee36bbfd3f37an,
  0x3c8c1a7792cb3387n, 0x3feee89f995ad3adn,
  0xbc907b8f4ad1d9fan, 0x3feeee07298db666n,
  0xbc55c3d956dcaeban, 0x3feef3a2b84f15fbn,
  0xbc90a40e3da6f640n, 0x3feef9728de5593an,
  0xbc68d6f438ad9334n, 0x3feeff76f2fb5e47n,
  0xbc91eee26b588a35n, 0x3fef05b030a1064an,
  0x3c74ffd70a5fddcdn, 0x3fef0c1e904bc1d2n,
  0xbc91bdfbfa9298acn, 0x3fef12c25bd71e09n,
  0x3c736eae30af0cb3n, 0x3fef199bdd85529cn,
  0x3c8ee3325c9ffd94n, 0x3fef20ab5fffd07an,
  0x3c84e08fd10959acn, 0x3fef27f12e57d14bn,
  0x3c63cdaf384e1a67n, 0x3fef2f6d9406e7b5n,
  0x3c676b2c6c921968n, 0x3fef3720dcef9069n,
  0xbc808a1883ccb5d2n, 0x3fef3f0b555dc3fan,
  0xbc8fad5d3ffffa6fn, 0x3fef472d4a07897cn,
  0xbc900dae3875a949n, 0x3fef4f87080d89f2n,
  0x3c74a385a63d07a7n, 0x3fef5818dcfba487n,
  0xbc82919e2040220fn, 0x3fef60e316c98398n,
  0x3c8e5a50d5c192acn, 0x3fef69e603db3285n,
  0x3c843a59ac016b4bn, 0x3fef7321f301b460n,
  0xbc82d52107b43e1fn, 0x3fef7c97337b9b5fn,
  0xbc892ab93b470dc9n, 0x3fef864614f5a129n,
  0x3c74b604603a88d3n, 0x3fef902ee78b3ff6n,
  0x3c83c5ec519d7271n, 0x3fef9a51fbc74c83n,
  0xbc8ff7128fd391f0n, 0x3fefa4afa2a490dan,
  0xbc8dae98e223747dn, 0x3fefaf482d8e67f1n,
  0x3c8ec3bc41aa2008n, 0x3fefba1bee615a27n,
  0x3c842b94c3a9eb32n, 0x3fefc52b376bba97n,
  0x3c8a64a931d185een, 0x3fefd0765b6e4540n,
  0xbc8e37bae43be3edn, 0x3fefdbfdad9cbe14n,
  0x3c77893b4d91cd9dn, 0x3fefe7c1819e90d8n,
  0x3c5305c14160cc89n, 0x3feff3c22b8f71f1n,
]);

const scratch = new Float64Array(1);
const bits = new BigUint64Array(scratch.buffer);

function fromBits(b: bigint): number {
  bits[0] = b;
  return scratch[0];
}

function toBits(x: number): bigint {
  scratch[0] = x;
  return bits[0];
}

/** log(10) = LOG10_HI + LOG10_LO to about 68 bits, as `log_inline` computes it (its fused steps in the machine code's order). */
const [LOG10_HI, LOG10_LO] = ((): [number, number] => {
  // 10 = 2^3 · 1.25, in subinterval 107.
  const kd = 3;
  const z = 1.25;
  const t1 = fma(kd, LN2HI, LOGC_107);
  const lo1 = fma(kd, LN2LO, LOGCTAIL_107);
  const r = fma(z, INVC_107, -1);
  const ar = r * A0;
  const q12 = fma(r, A2, A1);
  const q34 = fma(r, A4, A3);
  const t2 = r + t1;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const lo3 = fma(ar, r, -ar2);
  const lo2 = t1 - t2 + r;
  const q56 = fma(r, A6, A5);
  const hi = t2 + ar2;
  const lo4 = t2 - hi + ar2;
  const p = fma(ar2, fma(q56, ar2, q34), q12);
  const lo = fma(ar3, p, lo1 + lo2 + lo3 + lo4);
  const y = hi + lo;
  return [y, hi - y + lo];
})();

/** The largest |y| taken: 10^y stays far from overflow and underflow (glibc's special cases). */
export const POW10_MAX_EXPONENT = 200;

/**
 * 10^y equal bit for bit to glibc's `pow(10, y)` on x86-64 CPUs with FMA and AVX2 (its
 * `__pow_fma`, Debian 12's glibc 2.36), which is what Python's `10 ** y` returns there. Throws a
 * RangeError for |y| > {@link POW10_MAX_EXPONENT} or NaN.
 */
export function glibcPow10(y: number): number {
  if (!(Math.abs(y) <= POW10_MAX_EXPONENT)) throw new RangeError(`glibcPow10 takes |y| ≤ ${POW10_MAX_EXPONENT}, got ${y}`);
  const ehi = y * LOG10_HI;
  const elo = fma(y, LOG10_LO, fma(LOG10_HI, y, -ehi));
  // |ehi| < 2^-54: exp(ehi) rounds to 1 + ehi (glibc returns 1.0 + x there).
  if (Math.abs(ehi) < 2 ** -54) return 1 + ehi;
  const kdShifted = fma(ehi, INV_LN2_N, SHIFT);
  const ki = toBits(kdShifted);
  const kd = kdShifted - SHIFT;
  let r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, ehi));
  const idx = Number(ki & 127n) * 2;
  const sbits = BigInt.asUintN(64, TAB[idx + 1] + (ki << 45n));
  r = elo + r;
  const a = fma(r, C3, C2);
  const b = r + fromBits(TAB[idx]);
  const r2 = r * r;
  const c = fma(r, C5, C4);
  const tmp = fma(c, r2 * r2, fma(a, r2, b));
  const scale = fromBits(sbits);
  return fma(tmp, scale, scale);
}
