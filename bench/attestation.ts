import { createPublicKey, createPrivateKey, sign, verify, generateKeyPairSync } from 'node:crypto';
import { AttestationVerifier, coseSigStructure, encodeAttestationPayload, parseAttestationDocument } from '../src/crypto/index.ts';
import { NsmClient } from '../src/enclave/index.ts';
import { World } from '../src/world/index.ts';
import { measurePair } from './measure.ts';
import type { BenchResult } from './types.ts';

/** A world with a booted default enclave whose NSM the benchmark calls directly. */
export function attestingWorld(seed: number) {
  const world = new World({ seed });
  const enclave = world.host.launchEnclave(world.parent, world.approvedImage, { memoryMiB: 256, cpuCount: 2, startApplication: false });
  const nsm = new NsmClient((request) => world.host.nsmRequestFor(enclave.enclaveId, request));
  return { world, enclave, nsm };
}

function nodeP384() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return { privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), publicKey: createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })) };
}

export function benchAttestationIssue(budgetMs: number): BenchResult {
  const { nsm } = attestingWorld(1);
  const publicKey = new Uint8Array(294).fill(0x42);
  const sample = nsm.attestation({ publicKey });
  const { cose, doc } = parseAttestationDocument(sample);
  const signedBytes = coseSigStructure(cose.protectedBytes, encodeAttestationPayload(doc));
  const key = nodeP384();
  const rates = measurePair(
    () => nsm.attestation({ publicKey }),
    () => sign('sha384', signedBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
    budgetMs,
  );
  return {
    name: 'attestation-issue',
    value: rates.value.opsPerSecond,
    unit: 'documents/s',
    ceiling: rates.ceiling.opsPerSecond,
    ceilingMeaning: "node:crypto's raw P-384 signs/s over the same Sig_structure bytes",
    ratio: rates.value.opsPerSecond / rates.ceiling.opsPerSecond,
    bar: 0.3,
  };
}

export function benchAttestationVerify(budgetMs: number): BenchResult {
  const { world, nsm } = attestingWorld(2);
  const document = nsm.attestation({ publicKey: new Uint8Array(294).fill(0x42), nonce: new Uint8Array(32).fill(7) });
  const { cose } = parseAttestationDocument(document);
  const signedBytes = coseSigStructure(cose.protectedBytes, cose.payload);
  const verifier = new AttestationVerifier(world.host.nitro.rootCertificateDer);
  const atMs = world.sim.nowMs;
  const key = nodeP384();
  const signature = sign('sha384', signedBytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  const rates = measurePair(
    () => verifier.verify(document, { atMs }),
    () => verify('sha384', signedBytes, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    budgetMs,
  );
  return {
    name: 'attestation-verify',
    value: rates.value.opsPerSecond,
    unit: 'documents/s',
    ceiling: rates.ceiling.opsPerSecond,
    ceilingMeaning: "node:crypto's raw P-384 verifies/s over the same Sig_structure bytes",
    ratio: rates.value.opsPerSecond / rates.ceiling.opsPerSecond,
    bar: 0.35,
  };
}
