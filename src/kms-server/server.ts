import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fromUtf8, sha256Hex, utf8 } from '../crypto/index.ts';
import { AssertionFailure, EmuError, assert } from '../errors.ts';
import { KmsService } from '../kms/index.ts';
import { followWallClock, Simulator, SYSTEM_WALL_CLOCK, type LogSink, type WallClock } from '../sim/index.ts';
import { World } from '../world/index.ts';
import { accessKeyTable, DEFAULT_ACCESS_KEYS, type AccessKeyTable } from './access-keys.ts';
import { parseAuthorization, verifySignature } from './sigv4.ts';
import { readStateFile, writeStateFile } from './state-file.ts';

/** Real KMS requests are a few KB (a 4 KB plaintext, a 16 KB document, base64); anything bigger is refused unread. */
export const REQUEST_BODY_BYTES_MAX = 256 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface KmsServerOptions {
  /** The world whose emulated Nitro root the KMS trusts (the root `nitro-emu attest --seed N` uses). Default 1. */
  readonly seed?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Persist keys, aliases, policies and grants here; loaded at start if it exists (state-file.ts). */
  readonly statePath?: string;
  /** Default the system clock: a served KMS runs in real time. */
  readonly clock?: WallClock;
  /** Default DEFAULT_ACCESS_KEYS. */
  readonly accessKeys?: AccessKeyTable;
  /** Check SigV4 signatures with the table's secrets (default true); off, the access key id alone names the caller. */
  readonly verifySignatures?: boolean;
  readonly region?: string;
  /** The KMS simulator's trace (pino JSON with virtual time); default silent. */
  readonly log?: LogSink;
  /** Called once when the server stops itself (a broken invariant, or state it could not persist). */
  readonly onFatal?: (error: unknown) => void;
}

export interface RunningKmsServer {
  /** `http://host:port`, what the SDK's `endpoint` takes. */
  readonly url: string;
  readonly port: number;
  readonly kms: KmsService;
  /** DER of the Nitro root the KMS trusts. */
  readonly rootDer: Uint8Array;
  /** Starts of this state file, this one included (1 without a state file). */
  readonly boots: number;
  readonly requestsServed: () => number;
  close(): Promise<void>;
}

/** The KMS's random streams per (seed, boot): a restart from a state file never replays earlier draws (IVs). */
function streamSeed(seed: number, boots: number): number {
  return Number.parseInt(sha256Hex(utf8(`nitro-emu/kms-serve/${seed}/${boots}`)).slice(0, 12), 16);
}

interface HttpError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

function send(res: ServerResponse, requestId: string, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  res.end(body);
}

function sendError(res: ServerResponse, requestId: string, error: HttpError): void {
  send(res, requestId, error.status, JSON.stringify({ __type: error.type, message: error.message }));
}

/** Reads the body up to the bound; undefined once it is exceeded (the caller answers 413 and drops the connection). */
function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      length += chunk.length;
      if (length > REQUEST_BODY_BYTES_MAX) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

export async function startKmsServer(options: KmsServerOptions = {}): Promise<RunningKmsServer> {
  const seed = options.seed ?? 1;
  const clock = options.clock ?? SYSTEM_WALL_CLOCK;
  const region = options.region ?? 'us-east-1';
  const accessKeys = options.accessKeys ?? accessKeyTable(DEFAULT_ACCESS_KEYS);
  const verify = options.verifySignatures ?? true;
  const statePath = options.statePath;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new EmuError('KMS_SERVER_SEED', `seed must be a non-negative integer, got ${seed}`);

  const loaded = statePath === undefined ? undefined : readStateFile(statePath);
  if (loaded !== undefined && loaded.seed !== seed) {
    throw new EmuError(
      'KMS_STATE_SEED_MISMATCH',
      `${statePath}: the state belongs to seed ${loaded.seed}, not ${seed} (its policies were written for that world's enclaves); the file was left as it is`,
      { path: statePath, seed: loaded.seed },
    );
  }
  const boots = (loaded?.boots ?? 0) + 1;
  // The same root as `nitro-emu attest --seed N`: it depends on the seed alone, never on the epoch.
  const rootDer = new World({ seed, epochMs: clock.nowMs() }).host.nitro.rootCertificateDer;
  // A long-running server keeps only the first events in memory; the trace digest still covers every call.
  const sim = new Simulator({ seed: streamSeed(seed, boots), epochMs: clock.nowMs(), log: options.log ?? 'silent', traceEventsMax: 10_000 });
  const kms = new KmsService({ sim, attestationRootDer: rootDer, region });
  if (loaded !== undefined) {
    try {
      kms.restoreState(loaded.kms);
    } catch (error) {
      if (!(error instanceof EmuError)) throw error;
      throw new EmuError(error.code, `${statePath}: ${error.message}; the file was left as it is`, { path: statePath });
    }
  }
  let persistedVersion = kms.stateVersion;
  if (statePath !== undefined) writeStateFile(statePath, { seed, boots, kms: kms.exportState() });

  const requestIds = sim.prng('kms-server.request-ids');
  const nextRequestId = (): string => {
    const hex = sha256Hex(requestIds.bytes(16)).slice(0, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  let served = 0;
  let stopped = false;
  let server: Server | undefined = undefined;

  const fatal = (error: unknown): void => {
    if (stopped) return;
    stopped = true;
    server?.close();
    server?.closeAllConnections();
    options.onFatal?.(error);
  };

  /** Everything after the body is in: authentication, the KMS call, persistence. Synchronous, so calls never interleave. */
  const answer = (req: IncomingMessage, res: ServerResponse, requestId: string, body: Uint8Array): void => {
    const header = req.headers['authorization'];
    if (typeof header !== 'string') {
      return sendError(res, requestId, { status: 400, type: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' });
    }
    const auth = parseAuthorization(header);
    if (auth === undefined) {
      return sendError(res, requestId, { status: 400, type: 'IncompleteSignatureException', message: 'The Authorization header is not a SigV4 header.' });
    }
    const key = accessKeys.get(auth.accessKeyId);
    if (key === undefined) {
      return sendError(res, requestId, { status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    }
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    if (verify) {
      const check = verifySignature(
        { method: req.method ?? '', path, query, headers: req.headers, body },
        auth,
        key.secretAccessKey,
        { region, service: 'kms', nowMs: clock.nowMs() },
      );
      if (!check.ok) return sendError(res, requestId, { status: 400, type: 'InvalidSignatureException', message: check.message });
    }
    let text: string;
    try {
      text = fromUtf8(body);
    } catch {
      return sendError(res, requestId, { status: 400, type: 'SerializationException', message: 'The request body is not UTF-8.' });
    }
    const target = req.headers['x-amz-target'];
    followWallClock(sim, clock);
    const reply = kms.handleJson(typeof target === 'string' ? target : '', text, { arn: key.arn });
    if (statePath !== undefined && kms.stateVersion !== persistedVersion) {
      // The change is made; a client told "ok" about a key that a restart would lose is worse than a stop.
      writeStateFile(statePath, { seed, boots, kms: kms.exportState() });
      persistedVersion = kms.stateVersion;
    }
    send(res, requestId, reply.status, reply.body);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = nextRequestId();
    if (stopped) return sendError(res, requestId, { status: 503, type: 'ServiceUnavailableException', message: 'The server is stopping.' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (req.method !== 'POST' || (req.url ?? '/').split('?', 1)[0] !== '/') {
      res.setHeader('connection', 'close');
      return sendError(res, requestId, { status: 404, type: 'UnknownOperationException', message: 'POST / with X-Amz-Target: TrentService.<Operation>.' });
    }
    const body = Number.isFinite(declared) && declared > REQUEST_BODY_BYTES_MAX ? undefined : await readBody(req);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      sendError(res, requestId, { status: 413, type: 'SerializationException', message: `The request body is larger than ${REQUEST_BODY_BYTES_MAX} bytes.` });
      req.destroy();
      return;
    }
    served++;
    try {
      answer(req, res, requestId, body);
    } catch (error) {
      // Our bug (a broken invariant) or state we could not persist: answer, then stop rather than serve on.
      if (!res.headersSent) sendError(res, requestId, { status: 500, type: 'KMSInternalException', message: 'An internal error occurred.' });
      fatal(error);
      if (!(error instanceof AssertionFailure) && !(error instanceof EmuError)) throw error;
    }
  };

  server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => fatal(error));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server!.once('error', (error: NodeJS.ErrnoException) =>
      reject(new EmuError('KMS_SERVER_LISTEN', `cannot listen on ${host}:${options.port ?? 0} (${error.code ?? error.message})`)),
    );
    server!.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  assert(address !== null && typeof address === 'object', 'a TCP server has an address');
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const running = server;
  return {
    url,
    port: address.port,
    kms,
    rootDer,
    boots,
    requestsServed: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        running.close(() => resolve());
        running.closeAllConnections();
      }),
  };
}
