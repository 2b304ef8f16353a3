import { describe, expect, it } from 'vitest';
import { readBerElement } from '../../src/crypto/ber.ts';
import { expectCode, hex } from './envelope-helpers.ts';

describe('BER element reader', () => {
  it('reads definite and indefinite forms and reports exact boundaries', () => {
    const definite = readBerElement(hex('3006 0201 05 0401 aa'), 'X');
    expect(definite.children.map((c) => [c.tagNumber, c.contentStart, c.end])).toEqual([[2, 4, 5], [4, 7, 8]]);
    const indefinite = readBerElement(hex('3080 2480 0401 aa 0402 bbcc 0000 0000'), 'X');
    expect(indefinite.indefinite).toBe(true);
    expect(indefinite.end).toBe(15);
    const chunks = indefinite.children[0]!;
    expect(chunks.constructed && chunks.indefinite).toBe(true);
    expect(chunks.children.map((c) => c.contentEnd - c.contentStart)).toEqual([1, 2]);
    expect(readBerElement(hex('0481 80' + '00'.repeat(128)), 'X').contentEnd).toBe(131); // long-form length
  });

  it('refuses trailing bytes, overruns, misplaced end-of-contents and indefinite primitives', () => {
    expectCode(() => readBerElement(hex('0401 aa 00'), 'X'), 'X');
    expectCode(() => readBerElement(hex('0402 aa'), 'X'), 'X');
    expectCode(() => readBerElement(hex('3003 0401 aaff'), 'X'), 'X'); // child runs past its parent
    expectCode(() => readBerElement(hex('3080 0401 aa'), 'X'), 'X'); // no end-of-contents
    expectCode(() => readBerElement(hex('3002 0000'), 'X'), 'X'); // end-of-contents in a definite form
    expectCode(() => readBerElement(hex('0480 aa 0000'), 'X'), 'X');
    expectCode(() => readBerElement(hex('0485 0000000001 aa'), 'X'), 'X'); // 5-byte length field
    expectCode(() => readBerElement(new Uint8Array(0), 'X'), 'X');
  });

  it('bounds depth and element count', () => {
    const deep = hex('3080'.repeat(30) + '0000'.repeat(30));
    expectCode(() => readBerElement(deep, 'X'), 'X');
    expect(readBerElement(deep, 'X', { depthMax: 40, nodesMax: 100 }).indefinite).toBe(true);
    const many = hex('3080' + '0500'.repeat(50) + '0000');
    expectCode(() => readBerElement(many, 'X', { depthMax: 4, nodesMax: 20 }), 'X');
  });
});
