/**
 * exp and tanh built only from IEEE-754 basic operations (+, −, ×, ÷, round), which every JavaScript engine must
 * round identically. Math.exp and Math.tanh are "implementation-approximated" by the language spec, so a kernel that
 * used them could give different bits on another engine or a later V8; these do not.
 */

// fdlibm's split of ln 2: LN2_HI has trailing zero bits, so k · LN2_HI is exact for |k| < 2^11.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019412;
const TAYLOR_DEGREE = 13;

// 1/n! by repeated IEEE division: the same doubles everywhere.
const INV_FACTORIAL: readonly number[] = (() => {
  const out = [1];
  for (let n = 1; n <= TAYLOR_DEGREE; n++) out.push(out[n - 1]! / n);
  return out;
})();

const pow2Bits = new Float64Array(1);
const pow2Words = new Uint32Array(pow2Bits.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^e for e in [-1022, 1023], built from the exponent bits (Math.pow is approximated too). */
function pow2(e: number): number {
  pow2Words[0] = 0;
  pow2Words[1] = 0;
  pow2Words[HIGH_WORD] = (e + 1023) << 20;
  return pow2Bits[0]!;
}

export function expDet(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > EXP_OVERFLOW) return Number.POSITIVE_INFINITY;
  if (x < EXP_UNDERFLOW) return 0;
  const k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| ≤ ~0.347, where degree 13 leaves < 1e-16 relative error
  let p = INV_FACTORIAL[TAYLOR_DEGREE]!;
  for (let n = TAYLOR_DEGREE - 1; n >= 0; n--) p = p * r + INV_FACTORIAL[n]!;
  // k spans [-1075, 1024]; two factors keep each power inside the normal exponent range.
  if (k > 1023) return p * pow2(1023) * pow2(k - 1023);
  if (k < -1022) return p * pow2(-1022) * pow2(k + 1022);
  return p * pow2(k);
}

const TANH_SATURATED = 20; // tanh(20) = 1 − 8e−18: already 1 in double
const TANH_SERIES_BELOW = 1e-4;

export function tanhDet(u: number): number {
  if (Number.isNaN(u)) return Number.NaN;
  if (u > TANH_SATURATED) return 1;
  if (u < -TANH_SATURATED) return -1;
  // Near 0, (e−1)/(e+1) loses digits to cancellation; two series terms are exact to double there.
  if (Math.abs(u) < TANH_SERIES_BELOW) return u - (u * u * u) / 3;
  const e = expDet(2 * u);
  return (e - 1) / (e + 1);
}
