import { describe, expect, it } from 'vitest';
import { EmuError, isEmuError } from '../../src/errors.ts';
import { concatBytes, decodeCborStrict, encodeCbor, sha384, utf8 } from '../../src/crypto/index.ts';
import {
  NSM_ERROR_NAMES,
  NsmClient,
  NsmDevice,
  nsmErrorCode,
  type AttestationIssuer,
} from '../../src/enclave/index.ts';
import { counterRandom, hex, hexOf } from './helpers.ts';

type IssueRequest = Parameters<AttestationIssuer['issue']>[0];

function pcrValue(tag: number): Uint8Array {
  return new Uint8Array(48).fill(tag);
}

function setup(options: { failIssuer?: boolean; measured?: Map<number, Uint8Array> } = {}) {
  const issued: IssueRequest[] = [];
  const issuer: AttestationIssuer = {
    moduleId: 'i-0123456789abcdef0-enc0123456789abcdef',
    issue(request) {
      if (options.failIssuer) throw new EmuError('PLATFORM_DOWN', 'no signing key');
      issued.push(request);
      return utf8(`document#${issued.length}`);
    },
  };
  const measured = options.measured ?? new Map([[0, pcrValue(0xa0)], [1, pcrValue(0xa1)], [2, pcrValue(0xa2)], [4, pcrValue(0xa4)]]);
  const device = new NsmDevice({ moduleId: issuer.moduleId, measured, issuer, random: counterRandom(7) });
  const call = (request: unknown) => decodeCborStrict(device.request(encodeCbor(request)), 'test response');
  const client = new NsmClient((bytes) => device.request(bytes));
  return { device, issued, call, client };
}

const req = (variant: string, fields: [string, unknown][]) => new Map([[variant, new Map(fields)]]);
const errorOf = (name: string) => new Map([['Error', name]]);

/** All 32 PCRs and their locks, read through the device. */
function snapshot(call: (r: unknown) => unknown): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 32; i++) out.push(call(req('DescribePCR', [['index', i]])));
  return out;
}

describe('NSM device: wire format', () => {
  it('answers a hand-written DescribePCR{index:0} with the exact response bytes', () => {
    const { device } = setup();
    const request = hex('a1 6b 44 65 73 63 72 69 62 65 50 43 52 a1 65 69 6e 64 65 78 00');
    // {"DescribePCR": {"lock": true, "data": h'a0a0…'}}
    const expected = concatBytes(hex('a1 6b 4465736372696265504352 a2 64 6c6f636b f5 64 64617461 5830'), pcrValue(0xa0));
    expect(hexOf(device.request(request))).toBe(hexOf(expected));
  });

  it('takes unit variants as text: "DescribeNSM" and "GetRandom"', () => {
    const { device } = setup();
    const nsm = decodeCborStrict(device.request(hex('6b 4465736372696265 4e534d')), 't') as Map<string, Map<string, unknown>>;
    expect([...nsm.get('DescribeNSM')!.keys()]).toEqual([
      'version_major', 'version_minor', 'version_patch', 'module_id', 'max_pcrs', 'locked_pcrs', 'digest',
    ]);
    const random = decodeCborStrict(device.request(hex('69 47657452616e646f6d')), 't') as Map<string, Map<string, unknown>>;
    expect((random.get('GetRandom')!.get('random') as Uint8Array).length).toBe(256);
  });

  it('answers LockPCR with the text "LockPCR" and errors as {"Error": name}', () => {
    const { device } = setup();
    // {"LockPCR": {"index": 16}}
    expect(hexOf(device.request(hex('a1 67 4c6f636b504352 a1 65 696e646578 10')))).toBe('674c6f636b504352');
    // again: {"Error": "ReadOnlyIndex"}
    expect(hexOf(device.request(hex('a1 67 4c6f636b504352 a1 65 696e646578 10')))).toBe('a1654572726f72 6d 526561644f6e6c79496e646578'.replace(/ /g, ''));
  });
});

describe('NSM device: PCRs', () => {
  it('reports the measured PCRs locked, the rest zero; 16..31 unlocked', () => {
    const { call } = setup();
    expect(call(req('DescribePCR', [['index', 2]]))).toEqual(req('DescribePCR', [['lock', true], ['data', pcrValue(0xa2)]]));
    expect(call(req('DescribePCR', [['index', 3]]))).toEqual(req('DescribePCR', [['lock', true], ['data', new Uint8Array(48)]]));
    expect(call(req('DescribePCR', [['index', 31]]))).toEqual(req('DescribePCR', [['lock', false], ['data', new Uint8Array(48)]]));
  });

  it('reports whatever the platform measured, including debug mode zeros', () => {
    const zeros = new Map([0, 1, 2, 8].map((i) => [i, new Uint8Array(48)] as [number, Uint8Array]));
    zeros.set(4, pcrValue(0x44));
    const { call } = setup({ measured: zeros });
    expect(call(req('DescribePCR', [['index', 0]]))).toEqual(req('DescribePCR', [['lock', true], ['data', new Uint8Array(48)]]));
    expect(call(req('DescribePCR', [['index', 4]]))).toEqual(req('DescribePCR', [['lock', true], ['data', pcrValue(0x44)]]));
  });

  it('extends = SHA384(old ‖ data), then locks; a locked PCR refuses extend and lock', () => {
    const { call } = setup();
    const first = sha384(concatBytes(new Uint8Array(48), utf8('one')));
    expect(call(req('ExtendPCR', [['index', 16], ['data', utf8('one')]]))).toEqual(req('ExtendPCR', [['data', first]]));
    const second = sha384(concatBytes(first, utf8('two')));
    expect(call(req('ExtendPCR', [['index', 16], ['data', utf8('two')]]))).toEqual(req('ExtendPCR', [['data', second]]));
    expect(call(req('LockPCR', [['index', 16]]))).toBe('LockPCR');
    expect(call(req('ExtendPCR', [['index', 16], ['data', utf8('three')]]))).toEqual(errorOf('ReadOnlyIndex'));
    expect(call(req('LockPCR', [['index', 16]]))).toEqual(errorOf('ReadOnlyIndex'));
    expect(call(req('DescribePCR', [['index', 16]]))).toEqual(req('DescribePCR', [['lock', true], ['data', second]]));
  });

  it('refuses to extend or lock the platform PCRs 0..15', () => {
    const { call } = setup();
    for (const i of [0, 4, 8, 15]) {
      expect(call(req('ExtendPCR', [['index', i], ['data', utf8('x')]]))).toEqual(errorOf('ReadOnlyIndex'));
      expect(call(req('LockPCR', [['index', i]]))).toEqual(errorOf('ReadOnlyIndex'));
    }
  });

  it('InvalidIndex for indices 32..65535; InvalidOperation beyond u16', () => {
    const { call } = setup();
    for (const i of [32, 100, 65535]) {
      expect(call(req('DescribePCR', [['index', i]]))).toEqual(errorOf('InvalidIndex'));
      expect(call(req('ExtendPCR', [['index', i], ['data', utf8('x')]]))).toEqual(errorOf('InvalidIndex'));
      expect(call(req('LockPCR', [['index', i]]))).toEqual(errorOf('InvalidIndex'));
    }
    expect(call(req('DescribePCR', [['index', 65536]]))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('DescribePCR', [['index', -1]]))).toEqual(errorOf('InvalidOperation'));
  });

  it('LockPCRs locks [0, range), accepts already-locked ones, refuses range > 32 without locking anything', () => {
    const { call } = setup();
    expect(call(req('LockPCRs', [['range', 33]]))).toEqual(errorOf('InvalidIndex'));
    expect(call(req('DescribePCR', [['index', 16]]))).toEqual(req('DescribePCR', [['lock', false], ['data', new Uint8Array(48)]]));
    expect(call(req('LockPCRs', [['range', 18]]))).toBe('LockPCRs');
    expect(call(req('ExtendPCR', [['index', 17], ['data', utf8('x')]]))).toEqual(errorOf('ReadOnlyIndex'));
    expect((call(req('ExtendPCR', [['index', 18], ['data', utf8('x')]])) as Map<string, unknown>).has('ExtendPCR')).toBe(true);
    expect(call(req('LockPCRs', [['range', 32]]))).toBe('LockPCRs');
    const nsm = call('DescribeNSM') as Map<string, Map<string, unknown>>;
    expect(nsm.get('DescribeNSM')!.get('locked_pcrs')).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });
});

describe('NSM device: other requests', () => {
  it('DescribeNSM reports versions, module id, 32 PCRs, locked PCRs and SHA384', () => {
    const { call } = setup();
    expect(call('DescribeNSM')).toEqual(
      req('DescribeNSM', [
        ['version_major', 1],
        ['version_minor', 0],
        ['version_patch', 0],
        ['module_id', 'i-0123456789abcdef0-enc0123456789abcdef'],
        ['max_pcrs', 32],
        ['locked_pcrs', Array.from({ length: 16 }, (_, i) => i)],
        ['digest', 'SHA384'],
      ]),
    );
  });

  it('GetRandom returns 256 bytes from the random source, different each call', () => {
    const { client } = setup();
    const a = client.getRandom();
    const b = client.getRandom();
    expect(a.length).toBe(256);
    expect(b).not.toEqual(a);
    // the same seed gives the same sequence: randomness is an input, not ambient
    const again = setup().client;
    expect(again.getRandom()).toEqual(a);
  });

  it('Attestation passes the locked PCRs and the three fields to the issuer', () => {
    const { call, issued } = setup();
    call(req('ExtendPCR', [['index', 20], ['data', utf8('app')]]));
    call(req('LockPCR', [['index', 20]]));
    call(req('ExtendPCR', [['index', 21], ['data', utf8('unlocked')]]));
    const response = call(req('Attestation', [['user_data', utf8('u')], ['nonce', utf8('n')], ['public_key', utf8('k')]]));
    expect(response).toEqual(req('Attestation', [['document', utf8('document#1')]]));
    const request = issued[0]!;
    expect([...request.pcrs.keys()]).toEqual([...Array.from({ length: 16 }, (_, i) => i), 20]);
    expect(request.pcrs.get(0)).toEqual(pcrValue(0xa0));
    expect(request.pcrs.get(20)).toEqual(sha384(concatBytes(new Uint8Array(48), utf8('app'))));
    expect(request).toMatchObject({ userData: utf8('u'), nonce: utf8('n'), publicKey: utf8('k') });
  });

  it('Attestation takes null or missing fields as absent, and 1024-byte fields', () => {
    const { call, issued } = setup();
    call(req('Attestation', [['user_data', null], ['nonce', null], ['public_key', null]]));
    call(req('Attestation', []));
    const big = new Uint8Array(1024).fill(1);
    call(req('Attestation', [['user_data', big], ['nonce', big], ['public_key', big]]));
    expect(issued.map((r) => [r.userData, r.nonce, r.publicKey])).toEqual([
      [null, null, null],
      [null, null, null],
      [big, big, big],
    ]);
  });

  it('Attestation errors: InputTooLarge, InvalidArgument, InternalError', () => {
    const { call, issued } = setup();
    expect(call(req('Attestation', [['user_data', new Uint8Array(1025)]]))).toEqual(errorOf('InputTooLarge'));
    expect(call(req('Attestation', [['nonce', new Uint8Array(1025)]]))).toEqual(errorOf('InputTooLarge'));
    expect(call(req('Attestation', [['public_key', new Uint8Array(1025)]]))).toEqual(errorOf('InputTooLarge'));
    expect(call(req('Attestation', [['public_key', new Uint8Array(0)]]))).toEqual(errorOf('InvalidArgument'));
    expect(issued).toEqual([]);
    expect(setup({ failIssuer: true }).call(req('Attestation', []))).toEqual(errorOf('InternalError'));
  });
});

describe('NSM device: bad requests', () => {
  it('InputTooLarge for requests over 4096 bytes', () => {
    const { device, call } = setup();
    const request = encodeCbor(req('ExtendPCR', [['index', 16], ['data', new Uint8Array(4090)]]));
    expect(request.length).toBeGreaterThan(4096);
    expect(decodeCborStrict(device.request(request), 't')).toEqual(errorOf('InputTooLarge'));
    const justFits = req('ExtendPCR', [['index', 16], ['data', new Uint8Array(4000)]]);
    expect((call(justFits) as Map<string, unknown>).has('ExtendPCR')).toBe(true);
  });

  it('InvalidOperation for undecodable, unknown or ill-typed requests', () => {
    const { device, call } = setup();
    const raw = (h: string) => decodeCborStrict(device.request(hex(h)), 't');
    expect(raw('ff')).toEqual(errorOf('InvalidOperation')); // not CBOR
    expect(raw('')).toEqual(errorOf('InvalidOperation')); // empty
    expect(raw('6b4465736372696265 4e534d 00')).toEqual(errorOf('InvalidOperation')); // trailing byte
    // duplicate key inside DescribePCR's fields
    expect(raw('a1 6b 4465736372696265504352 a2 65 696e646578 00 65 696e646578 01')).toEqual(errorOf('InvalidOperation'));
    expect(call('Shutdown')).toEqual(errorOf('InvalidOperation'));
    expect(call(new Map([['Shutdown', new Map()]]))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('DescribePCR', [['index', '0']]))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('DescribePCR', []))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('DescribePCR', [['index', 0], ['extra', 1]]))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('ExtendPCR', [['index', 16], ['data', [1, 2, 3]]]))).toEqual(errorOf('InvalidOperation'));
    expect(call(req('Attestation', [['nonce', 'text']]))).toEqual(errorOf('InvalidOperation'));
    expect(call(new Map<string, unknown>([['DescribeNSM', null], ['GetRandom', null]]))).toEqual(errorOf('InvalidOperation'));
    expect(call(42)).toEqual(errorOf('InvalidOperation'));
  });

  it('a failed request changes no PCR and no lock', () => {
    const { call } = setup();
    call(req('ExtendPCR', [['index', 17], ['data', utf8('before')]]));
    const before = snapshot(call);
    const failing: unknown[] = [
      req('ExtendPCR', [['index', 3], ['data', utf8('x')]]),
      req('ExtendPCR', [['index', 40], ['data', utf8('x')]]),
      req('ExtendPCR', [['index', 17], ['data', 'not bytes']]),
      req('LockPCR', [['index', 0]]),
      req('LockPCR', [['index', 99]]),
      req('LockPCRs', [['range', 33]]),
      req('Attestation', [['user_data', new Uint8Array(2000)]]),
      'Nonsense',
    ];
    for (const request of failing) expect((call(request) as Map<string, unknown>).has('Error')).toBe(true);
    expect(snapshot(call)).toEqual(before);
  });
});

describe('NSM client', () => {
  it('wraps every request', () => {
    const { client, issued } = setup();
    expect(client.describePcr(1)).toEqual({ lock: true, data: pcrValue(0xa1) });
    const value = client.extendPcr(16, utf8('x'));
    expect(value).toEqual(sha384(concatBytes(new Uint8Array(48), utf8('x'))));
    client.lockPcr(16);
    client.lockPcrs(17);
    expect(client.describePcr(16)).toEqual({ lock: true, data: value });
    const description = client.describeNsm();
    expect(description).toMatchObject({ maxPcrs: 32, digest: 'SHA384', versionMajor: 1, moduleId: 'i-0123456789abcdef0-enc0123456789abcdef' });
    expect(description.lockedPcrs).toEqual(Array.from({ length: 17 }, (_, i) => i));
    expect(client.attestation({ nonce: utf8('n') })).toEqual(utf8('document#1'));
    expect(issued[0]).toMatchObject({ nonce: utf8('n'), userData: null, publicKey: null });
    expect(client.getRandom().length).toBe(256);
  });

  it('throws NSM_<ERROR> codes for error responses', () => {
    const { client } = setup();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (isEmuError(error)) return error.code;
        throw error;
      }
      return 'no error';
    };
    expect(codeOf(() => client.extendPcr(0, utf8('x')))).toBe('NSM_READ_ONLY_INDEX');
    expect(codeOf(() => client.describePcr(32))).toBe('NSM_INVALID_INDEX');
    expect(codeOf(() => client.lockPcrs(40))).toBe('NSM_INVALID_INDEX');
    expect(codeOf(() => client.attestation({ userData: new Uint8Array(1025) }))).toBe('NSM_INPUT_TOO_LARGE');
    expect(codeOf(() => client.attestation({ publicKey: new Uint8Array(0) }))).toBe('NSM_INVALID_ARGUMENT');
    expect(codeOf(() => client.extendPcr(16, new Uint8Array(5000)))).toBe('NSM_INPUT_TOO_LARGE');
    expect(codeOf(() => setup({ failIssuer: true }).client.attestation())).toBe('NSM_INTERNAL_ERROR');
    const fake = (response: unknown) => new NsmClient(() => encodeCbor(response));
    expect(codeOf(() => fake(errorOf('BufferTooSmall')).getRandom())).toBe('NSM_BUFFER_TOO_SMALL');
    expect(codeOf(() => fake(errorOf('InvalidOperation')).getRandom())).toBe('NSM_INVALID_OPERATION');
    expect(codeOf(() => fake(errorOf('Unheard')).getRandom())).toBe('NSM_INVALID_RESPONSE');
    expect(codeOf(() => fake('LockPCR').getRandom())).toBe('NSM_INVALID_RESPONSE');
    expect(codeOf(() => fake(req('GetRandom', [['random', 'text']])).getRandom())).toBe('NSM_INVALID_RESPONSE');
    expect(codeOf(() => fake(req('DescribePCR', [['lock', 1], ['data', new Uint8Array(48)]])).describePcr(0))).toBe('NSM_INVALID_RESPONSE');
    expect(codeOf(() => new NsmClient(() => hex('ff')).getRandom())).toBe('NSM_INVALID_RESPONSE');
  });

  it('names every error code', () => {
    expect(NSM_ERROR_NAMES.map(nsmErrorCode)).toEqual([
      'NSM_INVALID_ARGUMENT',
      'NSM_INVALID_INDEX',
      'NSM_INVALID_RESPONSE',
      'NSM_READ_ONLY_INDEX',
      'NSM_INVALID_OPERATION',
      'NSM_BUFFER_TOO_SMALL',
      'NSM_INPUT_TOO_LARGE',
      'NSM_INTERNAL_ERROR',
    ]);
  });
});
