import { describe, expect, it } from 'vitest';
import { fromHex, generateRsaKeyPair, openEnvelopedData, parseAttestationDocument } from '../../src/crypto/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { World } from '../../src/world/index.ts';
import { attestedKeyPolicy } from '../../src/world/policies.ts';
import { refusal } from './fixture.ts';

const enclaveKey = generateRsaKeyPair(new Simulator({ seed: 3 }).prng('test.enclave'), 2048);

/** A world whose KMS holds the owner's attested key and a data key under it; documents as the parent's NSM signs them. */
function setup(revocationChecked: boolean) {
  const world = new World({ seed: 4, defences: { revocationChecked } });
  const owner = { arn: world.arns.owner };
  const parent = { arn: world.arns.parentRole };
  const policy = JSON.stringify(attestedKeyPolicy(owner.arn, parent.arn, world.approvedPcr0));
  const keyId = world.kms.call('CreateKey', { Policy: policy }, owner).KeyMetadata.KeyId;
  const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, owner);
  const issuer = world.host.nitro.issuerFor(world.parent.instanceId, `${world.parent.instanceId}-enc0000000000000001`);
  const issue = () => issuer.issue({ pcrs: new Map([[0, fromHex(world.approvedPcr0)]]), publicKey: enclaveKey.spki, userData: null, nonce: null });
  const decrypt = (document: Uint8Array) =>
    world.kms.call('Decrypt', { CiphertextBlob, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: document } }, parent);
  return { world, issue, decrypt, dataKey: Plaintext! };
}

describe('the world\'s KMS consults the Nitro controller\'s revocation list', () => {
  it('refuses a document under a revoked instance CA, and accepts the next one on the re-issued chain', () => {
    const { world, issue, decrypt, dataKey } = setup(true);
    const before = issue();
    const ca = parseAttestationDocument(before).doc.cabundle.at(-1)!;
    world.host.nitro.revokeCertificate(ca, 'platform key compromise');
    expect(refusal(() => decrypt(before))).toMatchObject({ code: 'KMS_ATTESTATION_INVALID', details: { cause: 'CHAIN_REVOKED' } });
    const after = decrypt(issue());
    expect(openEnvelopedData(after.CiphertextForRecipient!, enclaveKey)).toEqual(dataKey);
  });

  it('control: with revocationChecked off the revoked chain is accepted', () => {
    const { world, issue, decrypt, dataKey } = setup(false);
    const before = issue();
    world.host.nitro.revokeCertificate(parseAttestationDocument(before).doc.cabundle.at(-1)!, 'platform key compromise');
    expect(openEnvelopedData(decrypt(before).CiphertextForRecipient!, enclaveKey)).toEqual(dataKey);
  });
});
