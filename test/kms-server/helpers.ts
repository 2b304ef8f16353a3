// Shared setup for the served KMS tests: an in-process server on a free port and SDK clients for its access keys.
import { KMSClient } from '@aws-sdk/client-kms';
import { DEFAULT_ACCESS_KEYS, startKmsServer, type KmsServerOptions, type RunningKmsServer } from '../../src/kms-server/index.ts';

export const ADMIN = DEFAULT_ACCESS_KEYS[0]!;
export const PARENT = DEFAULT_ACCESS_KEYS[1]!;
export const OUTSIDER = DEFAULT_ACCESS_KEYS[2]!;

// The SDK warns once per process that later releases need Node 22; the pinned version runs on Node 20.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export async function serve(options: KmsServerOptions = {}): Promise<RunningKmsServer> {
  return startKmsServer({ seed: 3, ...options });
}

export function client(
  server: Pick<RunningKmsServer, 'url'>,
  key: { accessKeyId: string; secretAccessKey: string } = ADMIN,
  extra: Partial<ConstructorParameters<typeof KMSClient>[0]> = {},
): KMSClient {
  return new KMSClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    maxAttempts: 1,
    ...extra,
  });
}

/** The error the SDK threw, so a test can check its name (the AWS exception type). */
export async function sdkError(work: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the SDK call to fail');
}
