import { describe, expect, it } from 'vitest';
import { AttestationVerifier, zeroPcr } from '../../src/crypto/index.ts';
import { NitroController } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';

const DAY_NS = 24 * 3600 * 1_000_000_000;

describe('Nitro controller', () => {
  it('keeps issuing verifiable documents for days of virtual time: leaf and intermediates are re-issued', async () => {
    const sim = new Simulator({ seed: 3 });
    const nitro = new NitroController(sim, 'us-east-1');
    const issuer = nitro.issuerFor('i-0123456789abcdef0', 'i-0123456789abcdef0-enc0000000000000001');
    const verifier = new AttestationVerifier(nitro.rootCertificateDer);
    const pcrs = new Map([[0, zeroPcr()]]);
    const leaves = new Set<string>();
    for (let hour = 0; hour < 80; hour += 5) {
      const document = issuer.issue({ pcrs, publicKey: null, userData: null, nonce: null });
      const verified = verifier.verify(document, { atMs: sim.nowMs, maxAgeMs: 1000 });
      leaves.add(verified.leaf.fingerprintSha256);
      sim.schedule(5 * 3600 * 1_000_000_000, 'five hours later', () => undefined);
      await sim.run();
    }
    expect(sim.nowNs).toBeGreaterThan(3 * DAY_NS);
    expect(leaves.size).toBeGreaterThan(10);
  });
});
