import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { generateRsaKeyPair, openEnvelopedData, utf8 } from '../../src/crypto/index.ts';
import { NsmClient } from '../../src/enclave/index.ts';
import { manualWallClock, Simulator, SYSTEM_WALL_CLOCK } from '../../src/sim/index.ts';
import { World } from '../../src/world/index.ts';
import { client, sdkError, serve } from './helpers.ts';

describe('a served KMS runs on the wall clock it is given', () => {
  it('judges document freshness and deletion windows by that clock', async () => {
    const startMs = SYSTEM_WALL_CLOCK.nowMs();
    const clock = manualWallClock(startMs);
    // The test moves the server's clock by days, so the SDK's signing time cannot follow: signatures are not checked here.
    const server = await serve({ seed: 3, clock, verifySignatures: false });
    try {
      const kms = client(server);
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('fresh only') }))).CiphertextBlob!;
      const rsa = generateRsaKeyPair(new Simulator({ seed: 6 }).prng('rsa'), 2048);
      const world = new World({ seed: 3, epochMs: startMs });
      const enclave = world.host.launchEnclave(world.parent, world.approvedImage, { memoryMiB: 256, cpuCount: 2, debugMode: false, startApplication: false });
      const document = new NsmClient((r) => world.host.nsmRequestFor(enclave.enclaveId, r)).attestation({ publicKey: rsa.spki });
      const recipient = { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const, AttestationDocument: document };

      clock.advance(4 * 60_000);
      const fresh = await kms.send(new DecryptCommand({ CiphertextBlob: blob, Recipient: recipient }));
      expect(openEnvelopedData(fresh.CiphertextForRecipient!, rsa)).toEqual(utf8('fresh only'));
      clock.advance(2 * 60_000); // now 6 minutes old: past the 5-minute bound
      expect((await sdkError(kms.send(new DecryptCommand({ CiphertextBlob: blob, Recipient: recipient })))).name).toBe('AccessDeniedException');

      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      expect(scheduled.DeletionDate!.getTime()).toBe(startMs + 6 * 60_000 + 7 * 86_400_000);
      clock.advance(7 * 86_400_000 - 1);
      expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('PendingDeletion');
      clock.advance(1);
      expect((await sdkError(kms.send(new DescribeKeyCommand({ KeyId: keyId })))).name).toBe('NotFoundException');
    } finally {
      await server.close();
    }
  }, 30_000);
});
