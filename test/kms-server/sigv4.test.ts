import { request } from 'node:http';
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256, toHex, utf8 } from '../../src/crypto/index.ts';
import { parseAuthorization, type RunningKmsServer } from '../../src/kms-server/index.ts';
import { manualWallClock, SYSTEM_WALL_CLOCK } from '../../src/sim/index.ts';
import { ADMIN, client, sdkError, serve } from './helpers.ts';

describe('HMAC-SHA-256', () => {
  it('matches RFC 4231 test cases 2 and 6 (a key longer than the block)', () => {
    expect(toHex(hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(toHex(hmacSha256(new Uint8Array(131).fill(0xaa), utf8('Test Using Larger Than Block-Size Key - Hash Key First')))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });
});

describe('SigV4 on kms serve', () => {
  let server: RunningKmsServer;
  beforeAll(async () => {
    server = await serve();
  });
  afterAll(async () => {
    await server.close();
  });

  it('parses the SDK header and refuses malformed ones', () => {
    const header = `AWS4-HMAC-SHA256 Credential=${ADMIN.accessKeyId}/20261126/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'ab'.repeat(32)}`;
    expect(parseAuthorization(header)).toMatchObject({ accessKeyId: ADMIN.accessKeyId, region: 'us-east-1', service: 'kms', signedHeaders: ['host', 'x-amz-date'] });
    expect(parseAuthorization(header.replace('aws4_request', 'aws3_request'))).toBeUndefined();
    expect(parseAuthorization(header.replace(/Signature=.*/, 'Signature=zz'))).toBeUndefined();
    expect(parseAuthorization('Basic dXNlcjpwYXNz')).toBeUndefined();
  });

  it('a wrong secret, an unknown access key, a wrong region and a tampered body are refused', async () => {
    expect((await sdkError(client(server, { ...ADMIN, secretAccessKey: 'not-the-secret' }).send(new ListKeysCommand({}))))).toMatchObject({
      name: 'InvalidSignatureException',
    });
    expect(await sdkError(client(server, { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' }).send(new ListKeysCommand({})))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    expect(await sdkError(client(server, ADMIN, { region: 'eu-west-1' }).send(new ListKeysCommand({})))).toMatchObject({
      name: 'InvalidSignatureException',
    });
    // The signed request leaves the SDK, then one byte of its body changes on the way.
    const tampered = client(server);
    let seen = 0;
    const tamper = (next: (args: unknown) => Promise<unknown>) => async (args: { request: { body: unknown } }) => {
      const body = args.request.body;
      if (body instanceof Uint8Array) {
        const text = new TextDecoder().decode(body);
        if (text.includes('tampered')) {
          args.request.body = utf8(text.replace('tampered', 'tampereD'));
          seen++;
        }
      }
      return next(args);
    };
    // finalizeRequest at low priority runs inside the signing middleware: after the signature is made.
    tampered.middlewareStack.add(tamper as never, { step: 'finalizeRequest', priority: 'low', name: 'tamper' } as never);
    expect(await sdkError(tampered.send(new CreateKeyCommand({ Description: 'tampered' })))).toMatchObject({ name: 'InvalidSignatureException' });
    expect(seen).toBe(1);
    expect((await client(server).send(new CreateKeyCommand({ Description: 'tampered' }))).KeyMetadata!.Description).toBe('tampered');
  });

  it('a signature dated more than 5 minutes from the server clock is expired', async () => {
    const skewed = await serve({ clock: manualWallClock(SYSTEM_WALL_CLOCK.nowMs() + 10 * 60_000) });
    try {
      const refused = await sdkError(client(skewed, ADMIN, { systemClockOffset: 0 }).send(new ListKeysCommand({})));
      expect(refused.name).toBe('InvalidSignatureException');
      expect(refused.message).toContain('Signature expired');
    } finally {
      await skewed.close();
    }
  });

  it('no Authorization header, a wrong method or path, and an oversized body get JSON errors with a request id', async () => {
    const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string; requestId: string | undefined }>((resolve, reject) => {
        const req = request(`${server.url}${path}`, { method, headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, requestId: res.headers['x-amzn-requestid'] as string | undefined }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const unsigned = await raw('POST', '/', '{}', { 'x-amz-target': 'TrentService.ListKeys' });
    expect([unsigned.status, JSON.parse(unsigned.body).__type]).toEqual([400, 'MissingAuthenticationTokenException']);
    expect(unsigned.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const get = await raw('GET', '/', '');
    expect([get.status, JSON.parse(get.body).__type]).toEqual([404, 'UnknownOperationException']);
    const big = await raw('POST', '/', 'x'.repeat(300 * 1024), { 'x-amz-target': 'TrentService.ListKeys' });
    expect([big.status, JSON.parse(big.body).__type]).toEqual([413, 'SerializationException']);
  });
});
