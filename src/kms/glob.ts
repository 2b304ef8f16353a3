import { assert } from '../errors.ts';

const GLOB_INPUT_MAX = 16_384;

/**
 * IAM wildcard match: `*` is any run of characters, `?` exactly one. Greedy two-pointer walk with one backtrack
 * point, so the cost is O(pattern × text) at worst and never exponential (no regex built from policy text).
 */
export function globMatch(pattern: string, text: string): boolean {
  assert(pattern.length <= GLOB_INPUT_MAX && text.length <= GLOB_INPUT_MAX, 'glob input beyond bound');
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
