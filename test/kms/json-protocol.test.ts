import { describe, expect, it } from 'vitest';
import { fromBase64, openEnvelopedData, toBase64, utf8 } from '../../src/crypto/index.ts';
import { attestationDoc, attestedPolicy, createKey, makeWorld, OWNER, PARENT } from './fixture.ts';

function call(world: ReturnType<typeof makeWorld>, operation: string, body: unknown, caller = OWNER) {
  const reply = world.kms.handleJson(`TrentService.${operation}`, typeof body === 'string' ? body : JSON.stringify(body), caller);
  return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
}

describe('AWS JSON 1.1 front', () => {
  it('carries blobs as base64 both ways and omits absent fields', () => {
    const world = makeWorld();
    const created = call(world, 'CreateKey', {});
    expect(created.status).toBe(200);
    const keyId = (created.body['KeyMetadata'] as { KeyId: string }).KeyId;
    const encrypted = call(world, 'Encrypt', { KeyId: keyId, Plaintext: toBase64(utf8('hello')), EncryptionContext: { a: 'b' } });
    expect(encrypted.status).toBe(200);
    expect(typeof encrypted.body['CiphertextBlob']).toBe('string');
    const decrypted = call(world, 'Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'], EncryptionContext: { a: 'b' } });
    expect(decrypted).toEqual({
      status: 200,
      body: { KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, Plaintext: toBase64(utf8('hello')), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    });
  });

  it('runs the attested flow with a base64 document and returns CiphertextForRecipient only', () => {
    const world = makeWorld();
    const keyId = createKey(world, attestedPolicy());
    const reply = call(
      world,
      'GenerateDataKey',
      { KeyId: keyId, KeySpec: 'AES_256', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: toBase64(attestationDoc(world)) } },
      PARENT,
    );
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(['CiphertextBlob', 'CiphertextForRecipient', 'KeyId']);
    expect(openEnvelopedData(fromBase64(reply.body['CiphertextForRecipient'] as string), world.enclaveKey)).toHaveLength(32);
  });

  it('answers errors with {__type, message} and the AWS status', () => {
    const world = makeWorld();
    const keyId = createKey(world, attestedPolicy());
    const denied = call(world, 'Decrypt', { CiphertextBlob: toBase64(new Uint8Array(60)) }, PARENT);
    // A blob naming no key is an invalid ciphertext, without saying why.
    expect(denied).toEqual({ status: 400, body: { __type: 'InvalidCiphertextException', message: 'The ciphertext is invalid.' } });
    const blob = call(world, 'Encrypt', { KeyId: keyId, Plaintext: toBase64(utf8('x')) }).body['CiphertextBlob'];
    const refused = call(world, 'Decrypt', { CiphertextBlob: blob }, PARENT);
    expect(refused.status).toBe(400);
    expect(refused.body['__type']).toBe('AccessDeniedException');
    expect(refused.body['message']).toMatch(/^User: arn:aws:iam::111122223333:role\/parent-instance-role is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:/);
    expect(call(world, 'DescribeKey', { KeyId: 'alias/none' }).body['__type']).toBe('NotFoundException');
    expect(call(world, 'GenerateRandom', { NumberOfBytes: 2000 }).body['__type']).toBe('ValidationException');
    expect(call(world, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', DryRun: true }).status).toBe(412);
  });

  it('refuses unknown targets and malformed bodies without throwing', () => {
    const world = makeWorld();
    const unknown = world.kms.handleJson('TrentService.Sign', '{}', OWNER);
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body)['__type']).toBe('UnknownOperationException');
    expect(JSON.parse(world.kms.handleJson('Other.CreateKey', '{}', OWNER).body)['__type']).toBe('UnknownOperationException');
    expect(JSON.parse(world.kms.handleJson('TrentService.constructor', '{}', OWNER).body)['__type']).toBe('UnknownOperationException');
    const cases: [string, string][] = [
      ['not JSON', '{"KeyId":'],
      ['an array', '[]'],
      ['null', 'null'],
      ['a blob that is not base64', JSON.stringify({ KeyId: 'x', Plaintext: '***' })],
      ['a number for a string', JSON.stringify({ KeyId: 5, Plaintext: 'AA==' })],
      ['a float for an integer', JSON.stringify({ NumberOfBytes: 1.5 })],
      ['a non-string context value', JSON.stringify({ KeyId: 'x', Plaintext: 'AA==', EncryptionContext: { a: 1 } })],
      ['an unknown field', JSON.stringify({ KeyId: 'x', Plaintext: 'AA==', Bogus: true })],
    ];
    for (const [, body] of cases) {
      const operation = body.includes('NumberOfBytes') ? 'GenerateRandom' : 'Encrypt';
      const reply = world.kms.handleJson(`TrentService.${operation}`, body, OWNER);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)['__type']).toBe('SerializationException');
    }
    expect(world.kms.handleJson('TrentService.ListKeys', 'x'.repeat(300_000), OWNER).status).toBe(400);
  });

  it('keeps an encryption context pair named __proto__ bound to the ciphertext', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const body = `{"KeyId":"${keyId}","Plaintext":"${toBase64(utf8('x'))}","EncryptionContext":{"__proto__":"p"}}`;
    const blob = call(world, 'Encrypt', body).body['CiphertextBlob'];
    expect(call(world, 'Decrypt', { CiphertextBlob: blob }).body['__type']).toBe('InvalidCiphertextException');
    expect(call(world, 'Decrypt', `{"CiphertextBlob":"${blob as string}","EncryptionContext":{"__proto__":"p"}}`).status).toBe(200);
  });

  it('accepts explicit nulls for absent optional fields, as SDKs may send them', () => {
    const world = makeWorld();
    expect(call(world, 'CreateKey', { Description: null, Policy: null }).status).toBe(200);
  });

  it('treats an unidentifiable caller as UnrecognizedClientException', () => {
    const world = makeWorld();
    const reply = world.kms.handleJson('TrentService.ListKeys', '{}', { arn: 'arn:aws:iam::12:root' });
    expect(JSON.parse(reply.body)['__type']).toBe('UnrecognizedClientException');
  });
});
