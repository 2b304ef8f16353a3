import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { client, serve } from './helpers.ts';

describe('loopback load', () => {
  it('1,000 concurrent SDK Decrypts complete with zero errors and the right plaintexts', async () => {
    const server = await serve();
    try {
      const kms = client(server);
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const blobs = await Promise.all(
        Array.from({ length: 8 }, (_, i) => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8(`message ${i}`) }))),
      );
      const before = server.requestsServed();
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => kms.send(new DecryptCommand({ CiphertextBlob: blobs[i % 8]!.CiphertextBlob }))),
      );
      const failures = results.filter((r) => r.status === 'rejected');
      expect(failures).toEqual([]);
      results.forEach((r, i) => {
        expect(r.status === 'fulfilled' && new TextDecoder().decode(r.value.Plaintext)).toBe(`message ${i % 8}`);
      });
      expect(server.requestsServed() - before).toBe(1000);
    } finally {
      await server.close();
    }
  }, 30_000);
});
