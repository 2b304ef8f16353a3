import { createServer, type Server } from 'node:http';
import { startKmsServer, DEFAULT_ACCESS_KEYS } from '../src/kms-server/index.ts';
import type { BenchResult } from './types.ts';

/** Requests in flight per batch: enough to keep the SDK's 50 sockets busy. */
const CONCURRENCY = 200;
const ROUNDS = 4;

interface Batch {
  ops: number;
  ms: number;
}

/**
 * `kms serve` under load: batches of concurrent SDK Decrypts over loopback (SigV4 verified, policy evaluated,
 * AES-GCM opened, audited). The ceiling is the same SDK client against a bare node:http server that answers
 * every request with a fixed, valid Decrypt reply, in interleaved rounds: the ratio is the share of the HTTP+SDK
 * path's throughput our server keeps. The SDK is a dev dependency, so it is loaded only when this bench runs.
 */
export async function benchKmsHttp(budgetMs: number): Promise<BenchResult> {
  const { KMSClient, CreateKeyCommand, EncryptCommand, DecryptCommand } = await import('@aws-sdk/client-kms');
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const admin = DEFAULT_ACCESS_KEYS[0]!;
  const kmsServer = await startKmsServer({ seed: 3 });
  const sdk = (endpoint: string) =>
    new KMSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
      maxAttempts: 1,
    });
  const ours = sdk(kmsServer.url);
  const keyId = (await ours.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  const encrypted = await ours.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(32).fill(7) }));
  const fixed = JSON.stringify({
    KeyId: encrypted.KeyId,
    Plaintext: Buffer.from(new Uint8Array(32).fill(7)).toString('base64'),
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  });
  const bare: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(fixed), 'x-amzn-requestid': 'fixed' });
      res.end(fixed);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', () => resolve()));
  const address = bare.address();
  const theirs = sdk(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`);
  const request = { CiphertextBlob: encrypted.CiphertextBlob };

  const batch = async (client: InstanceType<typeof KMSClient>, totals: Batch, sliceMs: number): Promise<void> => {
    const start = performance.now();
    let batches = 0;
    while (performance.now() - start < sliceMs && batches < 10_000) {
      const replies = await Promise.all(Array.from({ length: CONCURRENCY }, () => client.send(new DecryptCommand(request))));
      if (replies.some((r) => r.Plaintext?.length !== 32)) throw new Error('a Decrypt came back wrong');
      totals.ops += CONCURRENCY;
      batches++;
    }
    totals.ms += performance.now() - start;
  };
  try {
    const warm = { ops: 0, ms: 0 };
    await batch(ours, warm, 0);
    await batch(theirs, warm, 0);
    const value: Batch = { ops: 0, ms: 0 };
    const ceiling: Batch = { ops: 0, ms: 0 };
    const slice = budgetMs / (2 * ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      await batch(ours, value, slice);
      await batch(theirs, ceiling, slice);
    }
    const valueRate = (value.ops * 1000) / value.ms;
    const ceilingRate = (ceiling.ops * 1000) / ceiling.ms;
    return {
      name: 'kms-http',
      value: valueRate,
      unit: 'Decrypts/s',
      ceiling: ceilingRate,
      ceilingMeaning: 'SDK Decrypts/s against a bare node:http server returning a fixed reply (same client, same run)',
      ratio: valueRate / ceilingRate,
      detail: `${CONCURRENCY} in flight per batch; ${value.ops} Decrypts through kms serve, ${ceiling.ops} through the bare server; wall time`,
    };
  } finally {
    ours.destroy();
    theirs.destroy();
    await kmsServer.close();
    await new Promise<void>((resolve) => {
      bare.close(() => resolve());
      bare.closeAllConnections();
    });
  }
}
