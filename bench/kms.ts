import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { generateRsaKeyPair } from '../src/crypto/index.ts';
import { attestedKeyPolicy } from '../src/world/index.ts';
import { attestingWorld } from './attestation.ts';
import { measurePair } from './measure.ts';
import type { BenchResult } from './types.ts';

/**
 * Attested Decrypt round trips in-process: verify the document, evaluate the policy, decrypt the
 * blob, wrap the data key in CMS to the enclave's RSA key. The ceiling is half node's raw P-384
 * verify rate: the two signature checks (document and leaf certificate) no attested call can skip.
 */
export function benchKmsAttestedDecrypt(budgetMs: number): BenchResult {
  const { world, nsm } = attestingWorld(3);
  const { kms, arns } = world;
  const owner = { arn: arns.owner };
  const policy = JSON.stringify(attestedKeyPolicy(arns.owner, arns.parentRole, world.approvedPcr0));
  const keyId = kms.call('CreateKey', { Policy: policy }, owner).KeyMetadata.KeyId;
  const context = { model: 'bench' };
  const blob = kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }, owner).CiphertextBlob;
  const rsa = generateRsaKeyPair(world.sim.prng('bench.rsa'), 2048);
  const document = nsm.attestation({ publicKey: rsa.spki });
  const request = {
    KeyId: keyId,
    CiphertextBlob: blob,
    EncryptionContext: context,
    Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: document },
  };
  const parent = { arn: arns.parentRole };
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const data = new Uint8Array(4500).fill(1);
  const signature = sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const spki = createPublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  const rates = measurePair(
    () => kms.call('Decrypt', request, parent),
    () => {
      verify('sha384', data, { key: spki, dsaEncoding: 'ieee-p1363' }, signature);
      verify('sha384', data, { key: spki, dsaEncoding: 'ieee-p1363' }, signature);
    },
    budgetMs,
  );
  return {
    name: 'kms-attested-decrypt',
    value: rates.value.opsPerSecond,
    unit: 'round trips/s',
    ceiling: rates.ceiling.opsPerSecond,
    ceilingMeaning: "pairs of node:crypto raw P-384 verifies/s (the signature checks an attested Decrypt cannot skip)",
    ratio: rates.value.opsPerSecond / rates.ceiling.opsPerSecond,
  };
}
