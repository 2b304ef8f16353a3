// AWS Signature Version 4 (header form) as the AWS SDKs sign a KMS request: the canonical request, the string to
// sign and the derived signing key follow the published SigV4 specification. Only what a JSON 1.1 POST needs.
import { equalBytes, fromHex, hmacSha256, sha256, toHex, utf8 } from '../crypto/index.ts';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SIGNED_HEADERS_MAX = 32;
const HEADER_VALUE_LENGTH_MAX = 8192;
/** AWS refuses a signature dated more than 5 minutes from its clock. */
export const SIGNATURE_SKEW_MS_MAX = 5 * 60_000;

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  /** yyyymmdd */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signatureHex: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`, or undefined. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  if (header.length > HEADER_VALUE_LENGTH_MAX || !header.startsWith(`${ALGORITHM} `)) return undefined;
  const parts = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = parts.get('Credential')?.split('/');
  const signedHeaders = parts.get('SignedHeaders')?.split(';');
  const signatureHex = parts.get('Signature');
  if (credential?.length !== 5 || credential[4] !== 'aws4_request') return undefined;
  if (signedHeaders === undefined || signedHeaders.length > SIGNED_HEADERS_MAX || signatureHex === undefined) return undefined;
  if (!/^[0-9a-f]{64}$/.test(signatureHex)) return undefined;
  const [accessKeyId, date, region, service] = credential as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date) || accessKeyId.length === 0) return undefined;
  return { accessKeyId, date, region, service, signedHeaders, signatureHex };
}

/** The request as the verifier needs it: lower-case header names, the raw body. */
export interface SignedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'malformed' | 'scope' | 'expired' | 'mismatch'; readonly message: string };

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.trim().replace(/\s+/g, ' ');
}

/** RFC 3986 encoding of one query component, as SigV4 canonicalises it. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `yyyymmddThhmmssZ` → ms since 1970, or undefined. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Checks a SigV4 header signature with the caller's secret: scope (date, region, service), the signature's age
 * against `nowMs`, then the HMAC over the canonical request, which covers the signed headers and the body's hash.
 */
export function verifySignature(
  request: SignedRequest,
  auth: ParsedAuthorization,
  secretAccessKey: string,
  expected: { readonly region: string; readonly service: string; readonly nowMs: number },
): SignatureCheck {
  const amzDate = headerValue(request.headers['x-amz-date']);
  const signedAtMs = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  const sorted = [...auth.signedHeaders].sort();
  if (signedAtMs === undefined || !auth.signedHeaders.includes('host') || sorted.join(';') !== auth.signedHeaders.join(';')) {
    return { ok: false, reason: 'malformed', message: 'The request must carry X-Amz-Date and sign the host header.' };
  }
  if (auth.date !== amzDate!.slice(0, 8) || auth.region !== expected.region || auth.service !== expected.service) {
    return {
      ok: false,
      reason: 'scope',
      message: `Credential should be scoped to a valid region and service: ${expected.region}/${expected.service}.`,
    };
  }
  if (Math.abs(expected.nowMs - signedAtMs) > SIGNATURE_SKEW_MS_MAX) {
    return { ok: false, reason: 'expired', message: `Signature expired: ${amzDate} is more than 5 minutes from the server's time.` };
  }
  const lines: string[] = [];
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers[name]);
    if (value === undefined) return { ok: false, reason: 'malformed', message: `Signed header ${name.slice(0, 64)} is missing.` };
    lines.push(`${name}:${value}\n`);
  }
  const payloadHash = toHex(sha256(request.body));
  const claimedHash = headerValue(request.headers['x-amz-content-sha256']);
  if (claimedHash !== undefined && claimedHash !== payloadHash) {
    return { ok: false, reason: 'mismatch', message: 'The provided x-amz-content-sha256 does not match the body.' };
  }
  const canonicalRequest = [
    request.method,
    request.path,
    canonicalQuery(request.query),
    lines.join(''),
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${toHex(sha256(utf8(canonicalRequest)))}`;
  let key = hmacSha256(utf8(`AWS4${secretAccessKey}`), utf8(auth.date));
  for (const part of [auth.region, auth.service, 'aws4_request']) key = hmacSha256(key, utf8(part));
  const signature = hmacSha256(key, utf8(stringToSign));
  if (!equalBytes(signature, fromHex(auth.signatureHex))) {
    return {
      ok: false,
      reason: 'mismatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true };
}
