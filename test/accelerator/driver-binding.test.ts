import { describe, expect, it } from 'vitest';
import {
  type AttachedDevice, type EmulatedAccelerator, type EvidenceContext, DEFAULT_DRIVER_DEFENCES, connectPeers,
  createSpdmRequester, judgeEndorsement, judgeSpdmEvidence, parseTransformerFile, planWeightLayout,
} from '../../src/accelerator/index.ts';
import { Prng } from '../../src/sim/index.ts';
import { contains, driverFor, endorse, expectCode, makeDevice, policyFor, portFor, tinyModelFile } from './driver-helpers.ts';

const GET_MEASUREMENTS = 0xe0;
const MEASUREMENTS = 0x60;
const KEY_EXCHANGE = 0xe4;
/** Mailbox frames are a type byte (0x05 plain SPDM, 0x06 secured) then the message: version, code, … */
const PLAIN_FRAME = 0x05;
const codeOf = (frame: Uint8Array): number | undefined => (frame[0] === PLAIN_FRAME ? frame[2] : undefined);

function contextFor(device: EmulatedAccelerator): EvidenceContext {
  return { deviceId: device.deviceId, flavour: device.flavour, policy: policyFor(device.flavour), defences: DEFAULT_DRIVER_DEFENCES, emit: () => {} };
}

/** The genuine evidence of one earlier exchange, as a relay would have recorded it. */
function recordedReport(device: EmulatedAccelerator, seed: number) {
  let rawResponse = new Uint8Array(0);
  const requester = createSpdmRequester(new Prng(seed, 'earlier-verifier'), (request) => {
    const response = device.spdm(request);
    if (codeOf(request) === GET_MEASUREMENTS) rawResponse = response.slice();
    return response;
  });
  requester.negotiate();
  const chain = requester.certificateChain();
  const nonce = new Prng(seed, 'earlier-nonce').bytes(32);
  return { chain, nonce, report: requester.measurements(nonce), rawResponse };
}

describe('freshness: a relay replaying old evidence', () => {
  it('GPU: an old genuine report fails the nonce; the same report verifies against the nonce it was made for', () => {
    const device = makeDevice({ flavour: 'gpu' });
    const old = recordedReport(device, 1);
    const fresh = new Prng(2, 'fresh').bytes(32);
    expectCode(() => judgeSpdmEvidence(contextFor(device), old.chain, old.report, fresh), 'DEVICE_NONCE_MISMATCH');
    expect(judgeSpdmEvidence(contextFor(device), old.chain, old.report, old.nonce).claims.mode).toBe('confidential');
  });

  it('GPU attach: the relay answers GET_MEASUREMENTS with the recorded response; the driver refuses the device', () => {
    const device = makeDevice({ flavour: 'gpu' });
    const old = recordedReport(device, 1);
    expect(codeOf(old.rawResponse)).toBe(MEASUREMENTS);
    let replayed = 0;
    const { port, tap } = portFor(device, {
      spdm: (request, target) => {
        if (codeOf(request) !== GET_MEASUREMENTS) return target.spdm(request);
        replayed++;
        return old.rawResponse.slice();
      },
    });
    let code = '';
    try {
      driverFor('gpu', 'confidential').attach(port);
    } catch (error) {
      code = (error as { code: string }).code;
    }
    // The old signature covers the old request (its nonce) and the driver checks it over the request it sent.
    expect(replayed).toBe(1);
    expect(code).toBe('DEVICE_SIGNATURE_INVALID');
    expect(device.isReady).toBe(false);
    expect(tap.stagingWrites).toHaveLength(0);
  });

  it('Trainium: the relay replays an endorsement made for another nonce; refused, and it verifies for its own nonce', () => {
    const device = makeDevice({ flavour: 'trainium' });
    const oldNonce = new Prng(3, 'old').bytes(32);
    const old = endorse(device, oldNonce);
    const { port } = portFor(device, { endorse: () => old });
    expectCode(() => driverFor('trainium', 'confidential').attach(port), 'DEVICE_NONCE_MISMATCH');
    expect(device.isReady).toBe(false);
    expect(judgeEndorsement(contextFor(device), old, oldNonce).claims.mode).toBe('confidential');
  });
});

describe('DEV-05: the device is swapped behind the relay after attestation', () => {
  /** The parent readies the replacement itself (VERSION/CAPABILITIES/ALGORITHMS), so it can answer a KEY_EXCHANGE. */
  function primed(device: EmulatedAccelerator): EmulatedAccelerator {
    createSpdmRequester(new Prng(4, 'parent'), (r) => device.spdm(r)).negotiate();
    return device;
  }

  function swapAfterReport(a: EmulatedAccelerator, b: EmulatedAccelerator) {
    let swapped = false;
    const handle = portFor(a, {
      spdm: (request, target) => {
        const response = target.spdm(request);
        if (!swapped && codeOf(response) === MEASUREMENTS) {
          swapped = true;
          handle.reroute(b);
        }
        return response;
      },
    });
    return handle;
  }

  it('GPU: KEY_EXCHANGE reaches the replacement, which cannot sign for the attested key; accepted with bindSessionToAttestedKey off', () => {
    const a = makeDevice({ flavour: 'gpu', index: 0 });
    const b = primed(makeDevice({ flavour: 'gpu', index: 1 }));
    const error = expectCode(() => driverFor('gpu', 'confidential').attach(swapAfterReport(a, b).port), 'DEVICE_SESSION_FAILED');
    expect((error as { details: { cause: string } }).details.cause).toBe('SPDM_BAD_SIGNATURE');
    expect(a.isReady || b.isReady).toBe(false);

    // Control: the driver takes whatever key answers now; the attested device is a, the ready one is b.
    const a2 = makeDevice({ flavour: 'gpu', index: 2 });
    const b2 = primed(makeDevice({ flavour: 'gpu', index: 3 }));
    const weak = driverFor('gpu', 'confidential', { defences: { bindSessionToAttestedKey: false } });
    const attached = weak.attach(swapAfterReport(a2, b2).port);
    expect(attached.verdict.deviceId).toBe(a2.deviceId);
    expect(b2.isReady).toBe(true);
    expect(a2.isReady).toBe(false);
  });

  it('GPU: swapped after FINISH, the secured SET_READY reaches a device without that session and fails', () => {
    const a = makeDevice({ flavour: 'gpu', index: 0 });
    const b = primed(makeDevice({ flavour: 'gpu', index: 1 }));
    let afterKeyExchange = 0;
    const handle = portFor(a, {
      spdm: (request, target) => {
        const response = target.spdm(request);
        if (codeOf(request) === KEY_EXCHANGE) afterKeyExchange = 1;
        else if (afterKeyExchange === 1) {
          afterKeyExchange = 2; // FINISH just went to a: everything after goes to b
          handle.reroute(b);
        }
        return response;
      },
    });
    const error = expectCode(() => driverFor('gpu', 'confidential').attach(handle.port), 'DEVICE_SESSION_FAILED');
    expect(String(error)).toContain('SET_READY');
    expect((error as { details: { cause: string } }).details.cause).toBe('SPDM_ERROR_RESPONSE');
    expect(a.isReady || b.isReady).toBe(false);
  });

  it('Trainium: the endorsed key does not match the replacement: KEY_EXCHANGE fails', () => {
    const a = makeDevice({ flavour: 'trainium', index: 0 });
    const b = makeDevice({ flavour: 'trainium', index: 1 });
    const handle = portFor(a, {
      endorse: (nonce) => {
        const endorsement = endorse(a, nonce);
        handle.reroute(b);
        return endorsement;
      },
    });
    const error = expectCode(() => driverFor('trainium', 'confidential').attach(handle.port), 'DEVICE_SESSION_FAILED');
    expect((error as { details: { cause: string } }).details.cause).toBe('SPDM_BAD_SIGNATURE');
    expect(b.isReady).toBe(false);
  });
});

describe('DEV-06: a group key only for attested devices', () => {
  function weightsOfLayer1(): Uint8Array {
    const file = tinyModelFile();
    const range = planWeightLayout(parseTransformerFile(file), file, 0).fileRanges.get('l1.attn.wq')!;
    return file.slice(range.offset, range.offset + range.length);
  }

  it('a devtools device the driver never attested gets no link key, and the attested member gets none either', () => {
    const a = makeDevice({ flavour: 'gpu', index: 0 });
    const b = makeDevice({ flavour: 'gpu', index: 1, mode: 'devtools' });
    connectPeers(a, b);
    const events: string[] = [];
    const driver = driverFor('gpu', 'confidential', { events });
    const member = driver.attach(portFor(a).port);
    const stranger: AttachedDevice = { port: portFor(b).port, verdict: { ...member.verdict, deviceId: b.deviceId } };
    expectCode(() => driver.formGroup([member, stranger]), 'DEVICE_NOT_ATTESTED');
    expect(events.filter((e) => e.startsWith('driver.group'))).toEqual([]);
    expect(b.isReady).toBe(false);
    expectCode(() => driver.loadModel([member, stranger], tinyModelFile()), 'DRIVER_NOT_ATTACHED');
  });

  it('control: with attestPeersBeforeGroupKey off the stranger is keyed, and its layer\'s weights sit readable through its management plane', () => {
    const a = makeDevice({ flavour: 'gpu', index: 0 });
    const b = makeDevice({ flavour: 'gpu', index: 1, mode: 'devtools' });
    connectPeers(a, b);
    const driver = driverFor('gpu', 'confidential', { defences: { attestPeersBeforeGroupKey: false } });
    const member = driver.attach(portFor(a).port);
    const stranger: AttachedDevice = { port: portFor(b).port, verdict: { ...member.verdict, deviceId: b.deviceId } };
    driver.formGroup([member, stranger]);
    expect(b.isReady).toBe(true);
    driver.loadModel([member, stranger], tinyModelFile());
    const file = tinyModelFile();
    const address = planWeightLayout(parseTransformerFile(file), file, 0).tensors.get('l1.attn.wq')!.address;
    const layer1 = weightsOfLayer1();
    expect(contains(b.mgmtRead(address, layer1.length), layer1.subarray(0, 32))).toBe(true);
  });
});
