import { describe, expect, it } from 'vitest';
import { CURRENT_SVN, connectPeers, parseTransformerFile, referenceGenerate } from '../../src/accelerator/index.ts';
import {
  contains, driverFor, expectCode, makeDevice, portFor, tinyModelFile, vendorFor, weightCanary,
} from './driver-helpers.ts';

const PROMPT = [7, 0, 2, 9];
const NEW_TOKENS = 5;

function reference(): number[] {
  const file = tinyModelFile();
  return referenceGenerate(parseTransformerFile(file), file, PROMPT, NEW_TOKENS);
}

/** The last activations frame a plain (mode off) pipeline leaves on the link: plaintext, for comparison. */
function plainLinkFrame(flavour: 'gpu' | 'trainium'): Uint8Array {
  const a = makeDevice({ flavour, index: 0, mode: 'off' });
  const b = makeDevice({ flavour, index: 1, mode: 'off' });
  connectPeers(a, b);
  const driver = driverFor(flavour, 'plain');
  const devices = [driver.attach(portFor(a).port), driver.attach(portFor(b).port)];
  driver.formGroup(devices);
  driver.generate(driver.loadModel(devices, tinyModelFile()), PROMPT, NEW_TOKENS);
  return b.link.read(0);
}

describe('driver, confidential path', () => {
  for (const flavour of ['gpu', 'trainium'] as const) {
    it(`${flavour}: attests, opens the session, and one device generates exactly the reference tokens`, () => {
      const device = makeDevice({ flavour });
      const { port, tap } = portFor(device);
      const events: string[] = [];
      const driver = driverFor(flavour, 'confidential', { events, chunkBytes: 4096 });
      const attached = driver.attach(port);
      expect(attached.verdict).toMatchObject({
        deviceId: device.deviceId, flavour, mode: 'confidential', svn: CURRENT_SVN,
        firmwareDigestHex: vendorFor(flavour).referenceManifest().firmwareDigestHex,
        label: flavour === 'gpu' ? 'published' : 'assumed',
      });
      expect(device.isReady).toBe(true);
      expect(events).toContain('driver.attach.ready');
      expect(events).toContain(flavour === 'gpu' ? 'driver.attest.report' : 'driver.attest.endorsement');
      const model = driver.loadModel([attached], tinyModelFile());
      // The host saw only sealed chunks: no run of weight bytes survives in any staging write.
      expect(tap.stagingWrites.length).toBeGreaterThan(1);
      expect(tap.stagingWrites.some((w) => contains(w, weightCanary()))).toBe(false);
      const result = driver.generate(model, PROMPT, NEW_TOKENS);
      expect(result.tokens).toEqual(reference());
      expect(result.deviceNs).toBeGreaterThan(0);
      driver.detach(attached);
      expect(device.isReady).toBe(false);
      expectCode(() => driver.generate(model, PROMPT, 1), 'DRIVER_NOT_ATTACHED');
    });

    it(`${flavour}: two attested devices with a group key generate the same tokens; the link carries no activations in the clear`, () => {
      const a = makeDevice({ flavour, index: 0 });
      const b = makeDevice({ flavour, index: 1 });
      connectPeers(a, b);
      const driver = driverFor(flavour, 'confidential');
      const devices = [driver.attach(portFor(a).port), driver.attach(portFor(b).port)];
      const model = driver.loadModel(devices, tinyModelFile());
      // Without link keys the pipeline cannot run: the driver says so before sending anything.
      expectCode(() => driver.generate(model, PROMPT, 1), 'DRIVER_GROUP_NOT_FORMED');
      driver.formGroup(devices);
      const result = driver.generate(model, PROMPT, NEW_TOKENS);
      expect(result.tokens).toEqual(reference());
      // b's inbound link slot (host-visible) holds the last step's activations sealed: plus a 16-byte tag, and
      // none of the plaintext the same pipeline puts on the link with mode off.
      const sealed = b.link.read(0);
      const clear = plainLinkFrame(flavour);
      expect(sealed.length).toBe(clear.length + 16);
      for (let at = 0; at + 16 <= clear.length; at += 64) expect(contains(sealed, clear.subarray(at, at + 16))).toBe(false);
    });
  }

  it('reports each attach step in order (GPU: chain, report, measurements, claims; Trainium: chain, endorsement, …)', () => {
    for (const flavour of ['gpu', 'trainium'] as const) {
      const events: string[] = [];
      driverFor(flavour, 'confidential', { events }).attach(portFor(makeDevice({ flavour })).port);
      const evidence = flavour === 'gpu' ? ['driver.attest.chain', 'driver.attest.report'] : ['driver.attest.chain', 'driver.attest.endorsement'];
      expect(events).toEqual([
        'driver.attach.start', ...evidence, 'driver.attest.measurements', 'driver.attest.claims',
        'driver.session.established', 'driver.attach.ready',
      ]);
    }
  });

  it('sizes chunks from the slot: the default fits a small device, a larger explicit size is refused before anything is sent', () => {
    const small = makeDevice({ flavour: 'gpu', transferBytesMax: 1024 });
    const { port, tap } = portFor(small);
    const driver = driverFor('gpu', 'confidential');
    const model = driver.loadModel([driver.attach(port)], tinyModelFile());
    expect(Math.max(...tap.stagingWrites.map((w) => w.length))).toBe(1024 + 16);
    expect(driver.generate(model, PROMPT, NEW_TOKENS).tokens).toEqual(reference());
    const other = makeDevice({ flavour: 'gpu', transferBytesMax: 1024, index: 1 });
    expectCode(() => driverFor('gpu', 'confidential', { chunkBytes: 1025 }).attach(portFor(other).port), 'DRIVER_BAD_CHUNK');
    expect(other.isReady).toBe(false);
  });

  it('a flipped staging byte on the way in is refused by the device and breaks the link (fail closed)', () => {
    const device = makeDevice({ flavour: 'gpu' });
    const { port } = portFor(device);
    const driver = driverFor('gpu', 'confidential', { chunkBytes: 4096 });
    const attached = driver.attach(port);
    const original = port.staging.write;
    let writes = 0;
    (port.staging as { write: typeof original }).write = (slot, bytes) => {
      const copy = bytes.slice();
      if (++writes === 3) copy[5]! ^= 0x01;
      original(slot, copy);
    };
    const error = expectCode(() => driver.loadModel([attached], tinyModelFile()), 'DEVICE_TRANSFER_FAILED');
    expect((error as { details: { deviceCode: string } }).details.deviceCode).toBe('ACCEL_TAG_MISMATCH');
    expectCode(() => driver.loadModel([attached], tinyModelFile()), 'DRIVER_LINK_BROKEN');
  });

  it('a flipped staging byte on the way out fails the driver\'s tag check: no logits, no token', () => {
    const device = makeDevice({ flavour: 'gpu' });
    const { port } = portFor(device);
    const driver = driverFor('gpu', 'confidential');
    const attached = driver.attach(port);
    const model = driver.loadModel([attached], tinyModelFile());
    const original = port.staging.read;
    (port.staging as { read: typeof original }).read = (slot) => {
      const bytes = original(slot);
      bytes[0]! ^= 0x80;
      return bytes;
    };
    const error = expectCode(() => driver.generate(model, PROMPT, 1), 'DEVICE_TRANSFER_FAILED');
    expect((error as { details: { deviceCode: string } }).details.deviceCode).toBe('ACCEL_TAG_MISMATCH');
  });
});
