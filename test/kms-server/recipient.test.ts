import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateRandomCommand,
  GetPublicKeyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, openEnvelopedData, p384KeyPair, p384SharedSecret, p384Spki, toBase64, utf8, type RsaKeyPair } from '../../src/crypto/index.ts';
import { NsmClient } from '../../src/enclave/index.ts';
import type { RunningKmsServer } from '../../src/kms-server/index.ts';
import { Simulator, SYSTEM_WALL_CLOCK } from '../../src/sim/index.ts';
import { World } from '../../src/world/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { ADMIN, client, PARENT, sdkError, serve } from './helpers.ts';

const SEED = 3;

/** An enclave of world `seed`, booted now, whose NSM document carries `publicKey` (what `nitro-emu attest` does). */
function enclaveDocument(seed: number, publicKey: Uint8Array, debugMode = false): { document: Uint8Array; pcr0: string } {
  const world = new World({ seed, epochMs: SYSTEM_WALL_CLOCK.nowMs() });
  const enclave = world.host.launchEnclave(world.parent, world.approvedImage, { memoryMiB: 256, cpuCount: 2, debugMode, startApplication: false });
  const nsm = new NsmClient((request) => world.host.nsmRequestFor(enclave.enclaveId, request));
  return { document: nsm.attestation({ publicKey }), pcr0: enclave.pcrs[0]! };
}

function pem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

const recipient = (document: Uint8Array) => ({ KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const, AttestationDocument: document });

let server: RunningKmsServer;
let rsa: RsaKeyPair;
let approved: { document: Uint8Array; pcr0: string };
let keyId: string;
let blob: Uint8Array;

beforeAll(async () => {
  server = await serve({ seed: SEED });
  rsa = generateRsaKeyPair(new Simulator({ seed: 5 }).prng('test.enclave-rsa'), 2048);
  approved = enclaveDocument(SEED, rsa.spki);
  const admin = client(server);
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Admin',
        Effect: 'Allow',
        Principal: { AWS: ADMIN.arn },
        Action: ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:Put*', 'kms:Get*', 'kms:Disable*', 'kms:Encrypt'],
        Resource: '*',
      },
      {
        Sid: 'ApprovedEnclaveOnly',
        Effect: 'Allow',
        Principal: { AWS: PARENT.arn },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyPair'],
        Resource: '*',
        Condition: { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': approved.pcr0 } },
      },
    ],
  });
  keyId = (await admin.send(new CreateKeyCommand({ Policy: policy }))).KeyMetadata!.KeyId!;
  blob = (await admin.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('model weights key') }))).CiphertextBlob!;
}, 60_000);
afterAll(async () => {
  await server.close();
});

describe('Recipient over HTTP: attestation-gated release to an enclave of world --seed N', () => {
  it('Decrypt with a Recipient returns only CiphertextForRecipient, which OpenSSL and our CMS parser both open', async () => {
    const parent = client(server, PARENT);
    const reply = await parent.send(new DecryptCommand({ CiphertextBlob: blob, Recipient: recipient(approved.document) }));
    expect(reply.Plaintext).toBeUndefined();
    const envelope = reply.CiphertextForRecipient!;
    expect(openEnvelopedData(envelope, rsa)).toEqual(utf8('model weights key'));

    const dir = tempDir('nitro-emu-kms-openssl-');
    writeFileSync(join(dir, 'key.pem'), pem('PRIVATE KEY', rsa.exportPkcs8()));
    writeFileSync(join(dir, 'envelope.der'), envelope);
    const opened = execFileSync('/usr/bin/openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', join(dir, 'envelope.der'), '-inkey', join(dir, 'key.pem')]);
    expect(new Uint8Array(opened)).toEqual(utf8('model weights key'));
  });

  it('GenerateDataKey, GenerateDataKeyPair and GenerateRandom with a Recipient never return plaintext', async () => {
    const parent = client(server, PARENT);
    const dataKey = await parent.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 32, Recipient: recipient(approved.document) }));
    expect(dataKey.Plaintext).toBeUndefined();
    expect(openEnvelopedData(dataKey.CiphertextForRecipient!, rsa)).toHaveLength(32);
    const pair = await parent.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048', Recipient: recipient(approved.document) }));
    expect(pair.PrivateKeyPlaintext).toBeUndefined();
    expect(openEnvelopedData(pair.CiphertextForRecipient!, rsa).length).toBeGreaterThan(1000);
    const random = await parent.send(new GenerateRandomCommand({ NumberOfBytes: 16, Recipient: recipient(approved.document) }));
    expect(random.Plaintext).toBeUndefined();
    expect(openEnvelopedData(random.CiphertextForRecipient!, rsa)).toHaveLength(16);
  });

  it('without a Recipient the parent is denied: AccessDeniedException by name, HTTP 400', async () => {
    const denied = await sdkError(client(server, PARENT).send(new DecryptCommand({ CiphertextBlob: blob })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('is not authorized to perform: kms:Decrypt');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
  });

  it('a forged or foreign document is AccessDeniedException, and so is a debug-mode enclave', async () => {
    const parent = client(server, PARENT);
    const forged = Uint8Array.from(approved.document);
    forged[forged.length - 5]! ^= 0x01; // inside the ES384 signature
    const foreign = enclaveDocument(SEED + 1, rsa.spki).document; // signed under another world's root
    const debug = enclaveDocument(SEED, rsa.spki, true).document; // valid, but PCR0 is zero
    for (const document of [forged, foreign, debug]) {
      const refused = await sdkError(parent.send(new DecryptCommand({ CiphertextBlob: blob, Recipient: recipient(document) })));
      expect(refused.name).toBe('AccessDeniedException');
    }
    expect((await sdkError(parent.send(new DecryptCommand({ CiphertextBlob: blob, Recipient: recipient(utf8('not a document')) })))).name).toBe(
      'AccessDeniedException',
    );
  });

  it('DeriveSharedSecret with a Recipient returns the secret only inside CiphertextForRecipient', async () => {
    const admin = client(server);
    const agreement = (await admin.send(new CreateKeyCommand({ KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384' }))).KeyMetadata!.KeyId!;
    const peer = p384KeyPair(new Simulator({ seed: 12 }).prng('peer'));
    const publicKey = (await admin.send(new GetPublicKeyCommand({ KeyId: agreement }))).PublicKey!;
    const derived = await admin.send(
      new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: p384Spki(peer.publicKey), Recipient: recipient(approved.document) }),
    );
    expect(derived.SharedSecret).toBeUndefined();
    expect(openEnvelopedData(derived.CiphertextForRecipient!, rsa)).toEqual(p384SharedSecret(peer.privateKey, publicKey.subarray(-97)));
  });
});
