// Targets over the accelerator boundary: the device's SPDM responder (a conversation of requests) and the driver's
// bounce-buffer open (the d2h lockstep channel the driver opens staged chunks with).
import {
  LockstepChannel,
  type MeasurementRecord,
  type SpdmResponderHooks,
  createSpdmRequester,
  createSpdmResponder,
} from '../../src/accelerator/index.ts';
import {
  SPDM_FRAME_PLAIN,
  createVendorPki,
  deriveAliasKeyPair,
  issueDeviceIdentity,
  issueFirmwareAlias,
  p384KeyPair,
  parseCertificate,
  sha384,
} from '../../src/crypto/index.ts';
import { EmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';
import { decodeRecords, encodeRecords } from '../records.ts';
import { type FuzzTarget, StateChangedAfterRefusal } from '../types.ts';

const SPDM_ERROR = 0x7f;
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A device identity (vendor chain, alias key from the firmware digest) and hooks that echo secured commands. */
function deviceHooks(): SpdmResponderHooks {
  const vendorRandom = new Prng(21, 'fuzz/vendor');
  const pki = createVendorPki(vendorRandom, { vendor: 'nitro-emu GPU vendor', product: 'GH100' });
  const identity = issueDeviceIdentity(pki, vendorRandom, { deviceIdHex: '41431d480fe5e87274', ...p384KeyPair(new Prng(21, 'fuzz/fuse')) });
  const fwDigest = sha384(utf8('fuzz firmware'));
  const alias = deriveAliasKeyPair(new Uint8Array(32).fill(21), fwDigest, 2);
  const leaf = issueFirmwareAlias(identity, vendorRandom, {
    publicKey: alias.publicKey,
    tcb: { fwid: fwDigest, svn: 2, vendor: 'nitro-emu GPU vendor', model: 'GH100' },
  });
  const chainDer = [pki.root.der, pki.intermediates[0]!.der, pki.intermediates[1]!.der, identity.der, leaf.der];
  const measurements: MeasurementRecord[] = [
    { index: 1, valueType: 0x00, digest: sha384(utf8('rom')) },
    { index: 2, valueType: 0x01, digest: fwDigest },
  ];
  return {
    identity: () => ({ chainDer, leafPrivateKey: alias.privateKey }),
    measurements: () => measurements,
    opaque: () => Uint8Array.of(0x14, 0x00, 0x02, 0x00, 0xab, 0xcd),
    onSessionEstablished: () => undefined,
    onSessionEnded: () => undefined,
    onSecuredCommand: (_id, command) => {
      if (command[0] === 0xee) throw new EmuError('DEV_NOT_READY', 'refused');
      return command.slice().reverse();
    },
  };
}

export const spdm: FuzzTarget = {
  name: 'spdm',
  format: 'records',
  recordFormat: 'bytes',
  setup() {
    const hooks = deviceHooks();
    // The responder's randomness restarts with each input, so a recorded conversation (FINISH included) replays.
    const responder = () => createSpdmResponder(new Prng(22, 'fuzz/device-spdm'), hooks);
    const record = (talk: (requester: ReturnType<typeof createSpdmRequester>) => void): Uint8Array => {
      const device = responder();
      const requests: Uint8Array[] = [];
      const requester = createSpdmRequester(new Prng(23, 'fuzz/driver-spdm'), (request) => {
        requests.push(request.slice());
        return device.handle(request);
      });
      talk(requester);
      return encodeRecords(requests);
    };
    const leafKey = (chain: Uint8Array[]) => parseCertificate(chain[chain.length - 1]!).p384PublicKey!;
    const seeds = [
      record((r) => r.negotiate()),
      record((r) => (r.negotiate(), r.certificateChain(), r.measurements(new Uint8Array(32).fill(9)))),
      record((r) => {
        r.negotiate();
        const session = r.keyExchange(leafKey(r.certificateChain()));
        session.command(Uint8Array.of(1, 2, 3));
        session.end();
      }),
    ];
    return {
      seeds,
      run(input) {
        const device = responder();
        let refused = false;
        for (const request of decodeRecords(input)) {
          const response = device.handle(request);
          if (response[0] === SPDM_FRAME_PLAIN && response[2] === SPDM_ERROR) refused = true;
        }
        return refused ? 'typed' : 'valid';
      },
    };
  },
};

/** Everything the channel must not move on a failed open; the failure count is the one field meant to. */
function channelState(channel: LockstepChannel): string {
  const { generation, counter, opsThisKey, bytesThisKey } = channel.state();
  return `${generation}/${counter}/${opsThisKey}/${bytesThisKey}`;
}

export const bounceBuffer: FuzzTarget = {
  name: 'bounce-buffer',
  format: 'records',
  recordFormat: 'bytes',
  setup() {
    const exportMaster = new Prng(31, 'fuzz/export-master').bytes(48);
    const device = new LockstepChannel(exportMaster, 'd2h-data');
    const chunks = [utf8('weights shard 0'), new Uint8Array(4096).fill(7), new Uint8Array(0), utf8('tail')].map((p) => device.seal(p));
    const seeds = [encodeRecords(chunks.slice(0, 1)), encodeRecords(chunks), encodeRecords([chunks[1]!, chunks[0]!])];
    return {
      seeds,
      run(input) {
        // The driver's side of the read-back: each staged chunk opened in submission order.
        const host = new LockstepChannel(exportMaster, 'd2h-data');
        for (const staged of decodeRecords(input)) {
          const before = channelState(host);
          try {
            host.open(staged);
          } catch (error) {
            if (channelState(host) !== before) throw new StateChangedAfterRefusal(`d2h channel moved from ${before} to ${channelState(host)}`);
            throw error;
          }
        }
        return 'valid';
      },
    };
  },
};
