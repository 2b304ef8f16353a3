// DICE TcbInfo: the encoder refuses fields it could not encode faithfully, the decoder refuses non-canonical DER.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import {
  DICE_SVN_MAX,
  checkDiceTcb,
  decodeDiceTcbInfo,
  encodeDiceTcbInfo,
  type DiceTcbFields,
} from '../../src/crypto/spdm-dice-tcb.ts';

const good: DiceTcbFields = { vendor: 'nitro-emu', model: 'gpu', svn: 3, fwid: new Uint8Array(48).fill(0x5a) };

function refusedWith(code: string, run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isEmuError(error, code)) return error.message;
    throw error;
  }
  throw new Error(`expected ${code}`);
}

/** Replaces the svn INTEGER content (tag [3] = 0x83) in an encoding of `good`, fixing the lengths around it. */
function withSvnContent(content: number[]): Uint8Array {
  const der = encodeDiceTcbInfo(good);
  const at = der.indexOf(0x83);
  expect(der[at + 1]).toBe(1); // svn 3 is one content byte
  const inner = [...der.subarray(2, at), 0x83, content.length, ...content, ...der.subarray(at + 3)];
  return Uint8Array.from([0x30, inner.length, ...inner]);
}

describe('DICE TcbInfo', () => {
  it('round-trips, including the largest svn and an svn whose top bit needs a leading zero', () => {
    expect(decodeDiceTcbInfo(encodeDiceTcbInfo(good))).toEqual(good);
    for (const svn of [0, 0x80, 0xff, DICE_SVN_MAX]) {
      expect(decodeDiceTcbInfo(encodeDiceTcbInfo({ ...good, svn })).svn).toBe(svn);
    }
  });

  it('the encoder refuses a wrong-size FWID, an svn out of range and empty or long text', () => {
    const cases: DiceTcbFields[] = [
      { ...good, fwid: new Uint8Array(32) },
      { ...good, fwid: [1, 2] as unknown as Uint8Array },
      { ...good, svn: -1 },
      { ...good, svn: DICE_SVN_MAX + 1 },
      { ...good, svn: 1.5 },
      { ...good, vendor: '' },
      { ...good, model: 'm'.repeat(10_000) },
    ];
    for (const tcb of cases) {
      expect(refusedWith('DICE_BAD_INPUT', () => checkDiceTcb(tcb))).toMatch(/FWID|svn|vendor and model/);
      expect(() => encodeDiceTcbInfo(tcb)).toThrow(expect.objectContaining({ code: 'DICE_BAD_INPUT' }));
    }
  });

  it('the decoder refuses a negative, padded or too large svn', () => {
    expect(decodeDiceTcbInfo(withSvnContent([0x00, 0x80])).svn).toBe(0x80);
    expect(refusedWith('DICE_MALFORMED', () => decodeDiceTcbInfo(withSvnContent([0x80])))).toMatch(/svn is negative/);
    expect(refusedWith('DICE_MALFORMED', () => decodeDiceTcbInfo(withSvnContent([0x00, 0x05])))).toMatch(/shortest form/);
    expect(refusedWith('DICE_MALFORMED', () => decodeDiceTcbInfo(withSvnContent([0x00, 0x80, 0, 0, 0])))).toMatch(/too large/);
    expect(refusedWith('DICE_MALFORMED', () => decodeDiceTcbInfo(withSvnContent([])))).toMatch(/svn length/);
  });

  it('the decoder refuses a FWID digest that is not 48 bytes', () => {
    const der = encodeDiceTcbInfo(good);
    // The digest is the last TLV: OCTET STRING 0x04 0x30 then 48 bytes. Shorten it to 47 and fix every length.
    const shortened = Uint8Array.from(der.subarray(0, der.length - 1));
    const digestLenAt = der.length - 49;
    expect(der[digestLenAt - 1]).toBe(0x04);
    expect(der[digestLenAt]).toBe(48);
    shortened[digestLenAt] = 47;
    // Enclosing lengths: outer SEQUENCE (1), fwids [6] (at 0xa6), FWID SEQUENCE: each one byte shorter.
    shortened[1] = shortened[1]! - 1;
    const fwidsAt = shortened.indexOf(0xa6);
    shortened[fwidsAt + 1] = shortened[fwidsAt + 1]! - 1;
    shortened[fwidsAt + 3] = shortened[fwidsAt + 3]! - 1;
    expect(refusedWith('DICE_MALFORMED', () => decodeDiceTcbInfo(shortened))).toMatch(/47 bytes, not 48/);
  });
});
