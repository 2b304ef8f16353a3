import { describe, expect, it } from 'vitest';
import { connectPeers, parseTransformerFile, referenceGenerate } from '../../src/accelerator/index.ts';
import { contains, driverFor, expectCode, makeDevice, portFor, tinyModelFile, weightCanary } from './driver-helpers.ts';

const PROMPT = [3, 1, 4, 1, 5];
const NEW_TOKENS = 4;

function reference(): number[] {
  const file = tinyModelFile();
  return referenceGenerate(parseTransformerFile(file), file, PROMPT, NEW_TOKENS);
}

describe('driver, plain path (mode off, no evidence)', () => {
  for (const flavour of ['gpu', 'trainium'] as const) {
    it(`${flavour}: one device generates what the CPU reference generates, and staging carries plaintext weights`, () => {
      const device = makeDevice({ flavour, mode: 'off' });
      const { port, tap } = portFor(device);
      const driver = driverFor(flavour, 'plain', { chunkBytes: 4096 });
      const attached = driver.attach(port);
      expect(attached.verdict.mode).toBe('off');
      expect(attached.verdict.label).toBe(flavour === 'gpu' ? 'published' : 'assumed');
      const model = driver.loadModel([attached], tinyModelFile());
      expect(model.weightBytes).toBeGreaterThan(0);
      expect(tap.stagingWrites.some((w) => contains(w, weightCanary()))).toBe(true);
      const result = driver.generate(model, PROMPT, NEW_TOKENS);
      expect(result.tokens).toEqual(reference());
      expect(result.deviceNs).toBeGreaterThan(0);
    });

    it(`${flavour}: two devices in a pipeline generate the same tokens`, () => {
      const a = makeDevice({ flavour, mode: 'off', index: 0 });
      const b = makeDevice({ flavour, mode: 'off', index: 1 });
      connectPeers(a, b);
      const driver = driverFor(flavour, 'plain');
      const devices = [driver.attach(portFor(a).port), driver.attach(portFor(b).port)];
      driver.formGroup(devices);
      const model = driver.loadModel(devices, tinyModelFile());
      expect(driver.generate(model, PROMPT, NEW_TOKENS).tokens).toEqual(reference());
    });
  }

  it('refuses a device that is not in mode off (the copy engine will not copy in the clear)', () => {
    const device = makeDevice({ flavour: 'gpu', mode: 'confidential' });
    const driver = driverFor('gpu', 'plain');
    expectCode(() => driver.attach(portFor(device).port), 'DEVICE_MODE_REJECTED');
  });

  it('takes a decorated copy of its model handle, refuses another driver\'s', () => {
    const device = makeDevice({ flavour: 'gpu', mode: 'off' });
    const driver = driverFor('gpu', 'plain');
    const model = driver.loadModel([driver.attach(portFor(device).port)], tinyModelFile());
    expect(driver.generate({ ...model, note: 'decorated' } as typeof model, PROMPT, 2).tokens).toEqual(reference().slice(0, 2));
    const other = driverFor('gpu', 'plain');
    expectCode(() => other.generate(model, PROMPT, 1), 'DRIVER_UNKNOWN_MODEL');
  });

  it('refuses handles it did not issue, and a device after detach', () => {
    const device = makeDevice({ flavour: 'gpu', mode: 'off' });
    const driver = driverFor('gpu', 'plain');
    const other = driverFor('gpu', 'plain');
    const attached = driver.attach(portFor(device).port);
    expectCode(() => other.loadModel([attached], tinyModelFile()), 'DRIVER_NOT_ATTACHED');
    const model = driver.loadModel([attached], tinyModelFile());
    driver.detach(attached);
    expectCode(() => driver.generate(model, PROMPT, 1), 'DRIVER_NOT_ATTACHED');
  });
});
