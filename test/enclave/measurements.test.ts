import { describe, expect, it } from 'vitest';
import { concatBytes, sha384, utf8 } from '../../src/crypto/index.ts';
import {
  EifSectionType,
  buildEif,
  identityInfo,
  measureSections,
  measurementsJson,
  pcrOfBytes,
  readEif,
} from '../../src/enclave/index.ts';
import { hexOf } from './helpers.ts';

const EXTEND_OF_EMPTY =
  '21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a';

/** SHA384(0^48 ‖ SHA384(data)), written out here rather than through the code under test. */
function expected(data: Uint8Array): string {
  return hexOf(sha384(concatBytes(new Uint8Array(48), sha384(data))));
}

const kernel = utf8('KERNEL');
const cmdline = utf8('CMDLINE');
const bootstrap = utf8('RAMDISK-0');
const app1 = utf8('RAMDISK-1');
const app2 = utf8('RAMDISK-2');
const metadata = identityInfo({ name: 'm', version: '1' });

describe('PCR formulas', () => {
  it('extend(0, SHA384("")) is the constant seen in real documents', () => {
    expect(hexOf(pcrOfBytes(new Uint8Array(0)))).toBe(EXTEND_OF_EMPTY);
  });

  it('an image with a single ramdisk has PCR0 == PCR1 and the empty PCR2', () => {
    const { measurements } = buildEif({ kernel, cmdline, ramdisks: [bootstrap], metadata });
    expect(measurements.pcr0).toEqual(measurements.pcr1);
    expect(hexOf(measurements.pcr2)).toBe(EXTEND_OF_EMPTY);
    expect(measurements.pcr8).toBeUndefined();
  });

  it('PCR0 covers kernel, cmdline and every ramdisk; PCR1 the bootstrap part; PCR2 the rest; not the metadata', () => {
    const built = buildEif({ kernel, cmdline, ramdisks: [bootstrap, app1, app2], metadata });
    const m = readEif(built.bytes).measurements;
    expect(hexOf(m.pcr0)).toBe(expected(concatBytes(kernel, cmdline, bootstrap, app1, app2)));
    expect(hexOf(m.pcr1)).toBe(expected(concatBytes(kernel, cmdline, bootstrap)));
    expect(hexOf(m.pcr2)).toBe(expected(concatBytes(app1, app2)));
    expect(m).toEqual(built.measurements);
    const renamed = buildEif({ kernel, cmdline, ramdisks: [bootstrap, app1, app2], metadata: identityInfo({ name: 'other', version: '9' }) });
    expect(renamed.measurements).toEqual(built.measurements);
    expect(renamed.bytes).not.toEqual(built.bytes);
  });

  it('measures in file order', () => {
    const swapped = measureSections([
      { type: EifSectionType.Cmdline, data: cmdline },
      { type: EifSectionType.Kernel, data: kernel },
      { type: EifSectionType.Ramdisk, data: bootstrap },
    ]);
    expect(hexOf(swapped.pcr0)).toBe(expected(concatBytes(cmdline, kernel, bootstrap)));
  });

  it('prints nitro-cli measurements: sorted keys, lowercase hex, the Debug name of Sha384', () => {
    const { measurements } = buildEif({ kernel, cmdline, ramdisks: [bootstrap, app1], metadata });
    const json = measurementsJson(measurements);
    expect(Object.keys(json)).toEqual(['HashAlgorithm', 'PCR0', 'PCR1', 'PCR2']);
    expect(json['HashAlgorithm']).toBe('Sha384 { ... }');
    expect(json['PCR0']).toMatch(/^[0-9a-f]{96}$/);
  });
});
