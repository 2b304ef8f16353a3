// Targets over src/enclave: the NSM device's CBOR request decoder (stateful: PCRs and locks) and the EIF reader.
import { readFileSync } from 'node:fs';
import { decodeCborStrict, encodeCbor } from '../../src/crypto/index.ts';
import { NSM_PCR_COUNT, NsmDevice, buildEnclaveImage, parseEif, readEif } from '../../src/enclave/index.ts';
import { Prng } from '../../src/sim/index.ts';
import { type FuzzTarget, StateChangedAfterRefusal } from '../types.ts';

/** The device is rebuilt this often, so extends and locks from earlier inputs do not pile up forever. */
const DEVICE_INPUTS_MAX = 200;

const request = (name: string, fields?: [string, unknown][]) => encodeCbor(fields === undefined ? name : new Map([[name, new Map(fields)]]));

function newDevice(seed: number): NsmDevice {
  const measured = new Map<number, Uint8Array>([[0, new Uint8Array(48).fill(0xa0)], [4, new Uint8Array(48).fill(0x44)]]);
  return new NsmDevice({
    moduleId: 'i-fuzz-enc0123456789',
    measured,
    // The signing platform is not under test here (attestation-doc is): it returns the request it was given.
    issuer: { moduleId: 'i-fuzz-enc0123456789', issue: (r) => encodeCbor([[...r.pcrs.keys()], r.publicKey, r.userData, r.nonce]) },
    random: new Prng(seed, 'fuzz/nsm-random'),
  });
}

/** PCR values and locks, read through the device's own ioctl (the state an enclave could observe). */
function nsmState(device: NsmDevice): string {
  const parts: string[] = [];
  for (let i = 0; i < NSM_PCR_COUNT; i++) {
    const reply = decodeCborStrict(device.request(request('DescribePCR', [['index', i]])), 'reply') as Map<string, Map<string, unknown>>;
    const body = reply.get('DescribePCR');
    parts.push(`${String(body?.get('lock'))}:${Buffer.from((body?.get('data') as Uint8Array | undefined) ?? []).toString('hex')}`);
  }
  return parts.join(',');
}

export const nsmRequest: FuzzTarget = {
  name: 'nsm-request',
  format: 'cbor',
  setup() {
    let device = newDevice(1);
    let state = nsmState(device);
    let runs = 0;
    const seeds = [
      request('DescribePCR', [['index', 0]]),
      request('ExtendPCR', [['index', 16], ['data', new Uint8Array(48).fill(1)]]),
      request('LockPCR', [['index', 17]]),
      request('LockPCRs', [['range', 20]]),
      request('DescribeNSM'),
      request('GetRandom'),
      request('Attestation', [['user_data', new Uint8Array(32).fill(2)], ['nonce', new Uint8Array(16).fill(3)], ['public_key', null]]),
    ];
    return {
      seeds,
      run(input) {
        if (++runs % DEVICE_INPUTS_MAX === 0) {
          device = newDevice(runs);
          state = nsmState(device);
        }
        const reply = decodeCborStrict(device.request(input), 'NSM response');
        const refused = reply instanceof Map && reply.has('Error');
        const after = nsmState(device);
        // Only an accepted request may move PCRs or locks; the snapshot is carried from one input to the next.
        if (refused && after !== state) throw new StateChangedAfterRefusal(`NSM answered ${String(reply.get('Error'))} but PCRs or locks changed`);
        state = after;
        return refused ? 'typed' : 'valid';
      },
    };
  },
};

export const eif: FuzzTarget = {
  name: 'eif',
  format: 'bytes',
  setup() {
    const pem = (name: string) => readFileSync(new URL(`../../test/enclave/fixtures/${name}`, import.meta.url), 'utf8');
    const appFiles = [{ path: 'main.js', data: new TextEncoder().encode('(function main() { return 1; })') }];
    const seeds = [
      buildEnclaveImage({ appFiles, entry: 'main.js', metadata: { team: 'fuzz' } }),
      buildEnclaveImage({ appFiles, entry: 'main.js', signing: { certificatePem: pem('signer-cert.pem'), privateKeyPem: pem('signer-key.pem') } }),
    ];
    return {
      seeds,
      run(input) {
        // The lenient reader (describe-eif) first, then the strict one a launch uses (CRC and signature checked).
        readEif(input);
        parseEif(input);
        return 'valid';
      },
    };
  },
};
