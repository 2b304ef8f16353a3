import {
  createVendorPki,
  deriveAliasKeyPair,
  issueDeviceIdentity,
  issueFirmwareAlias,
  p384KeyPair,
  sha384,
  utf8,
} from '../../src/crypto/index.ts';
import {
  type MeasurementRecord,
  type SpdmResponder,
  type SpdmTransport,
  createSpdmRequester,
  createSpdmResponder,
} from '../../src/accelerator/spdm/index.ts';
import { EmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/prng.ts';

export const AT_MS = Date.UTC(2026, 0, 1);

/** A device with a generated vendor chain, three measurements and a command handler that echoes or refuses. */
export function makeDevice(seed: number, firmware = 'fw v1') {
  const vendorRandom = new Prng(seed, 'vendor');
  const pki = createVendorPki(vendorRandom, { vendor: 'nitro-emu GPU vendor', product: 'GH100' });
  const idKey = p384KeyPair(new Prng(seed, 'fuse-key'));
  const identity = issueDeviceIdentity(pki, vendorRandom, { deviceIdHex: '41431d480fe5e87274', ...idKey });
  const fwDigest = sha384(utf8(firmware));
  const alias = deriveAliasKeyPair(new Uint8Array(32).fill(seed & 0xff), fwDigest, 2);
  const leaf = issueFirmwareAlias(identity, vendorRandom, {
    publicKey: alias.publicKey,
    tcb: { fwid: fwDigest, svn: 2, vendor: 'nitro-emu GPU vendor', model: 'GH100' },
  });
  const chainDer = [pki.root.der, pki.intermediates[0]!.der, pki.intermediates[1]!.der, identity.der, leaf.der];
  const measurements: MeasurementRecord[] = [
    { index: 1, valueType: 0x00, digest: sha384(utf8('rom')) },
    { index: 2, valueType: 0x01, digest: fwDigest },
    { index: 3, valueType: 0x02, digest: sha384(utf8('mode on')) },
  ];
  const log = { established: [] as { sessionId: number; exportMaster: Uint8Array }[], ended: [] as number[], commands: [] as Uint8Array[] };
  const responder = createSpdmResponder(new Prng(seed, 'device-spdm'), {
    identity: () => ({ chainDer, leafPrivateKey: alias.privateKey }),
    measurements: () => measurements,
    opaque: () => Uint8Array.of(0x14, 0x00, 0x02, 0x00, 0xab, 0xcd),
    onSessionEstablished: (s) => log.established.push(s),
    onSessionEnded: (id) => log.ended.push(id),
    onSecuredCommand: (_id, command) => {
      log.commands.push(command);
      if (command[0] === 0xee) throw new EmuError('DEV_NOT_READY', 'refused');
      return Uint8Array.from([...command].reverse());
    },
  });
  return { pki, chainDer, alias, leaf, measurements, responder, log };
}

/** A host relay: records every frame, and may rewrite requests or responses. */
export function relay(
  responder: SpdmResponder,
  rewrite: { request?: (m: Uint8Array) => Uint8Array; response?: (m: Uint8Array) => Uint8Array } = {},
) {
  const frames: { request: Uint8Array; response: Uint8Array }[] = [];
  const transport: SpdmTransport = (request) => {
    const sent = rewrite.request?.(request) ?? request;
    const answer = responder.handle(sent);
    const response = rewrite.response?.(answer) ?? answer;
    frames.push({ request: sent.slice(), response: response.slice() });
    return response;
  };
  return { transport, frames };
}

export function requesterFor(seed: number, transport: SpdmTransport) {
  return createSpdmRequester(new Prng(seed, 'driver-spdm'), transport);
}

export const plain = (m: Uint8Array): Uint8Array => Uint8Array.from([0x05, ...m]);
