import { EmuError } from '../errors.ts';

export { type KeyUsageBits, type ParsedCertificate, parseCertificate, ecdsaDerToRaw } from './x509-parse.ts';
export { verifyCertificateChain } from './x509-chain.ts';

// PEM files we read hold a handful of certificates; these bound a hostile one.
const PEM_TEXT_MAX = 1024 * 1024;
const PEM_BLOCKS_MAX = 256;
const LABEL_PATTERN = /^[A-Z0-9 ]{1,64}$/;

function pemError(message: string): never {
  throw new EmuError('PEM_MALFORMED', message);
}

/** All PEM blocks with the given label, in file order. Error PEM_MALFORMED. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  if (typeof pem !== 'string') pemError('expected PEM text');
  if (pem.length > PEM_TEXT_MAX) pemError(`PEM text is over ${PEM_TEXT_MAX} characters`);
  if (!LABEL_PATTERN.test(label)) pemError(`bad PEM label "${label}"`);
  const out: Uint8Array[] = [];
  const lines = pem.split(/\r?\n/);
  let body: string[] | undefined;
  let blockLabel = '';
  for (const rawLine of lines) {
    const line = rawLine.trim();
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(line);
    const end = /^-----END ([A-Z0-9 ]+)-----$/.exec(line);
    if (begin !== null) {
      if (body !== undefined) pemError(`BEGIN ${begin[1]} inside an open ${blockLabel} block`);
      blockLabel = begin[1]!;
      body = [];
    } else if (end !== null) {
      if (body === undefined || end[1] !== blockLabel) pemError(`END ${end[1]} without a matching BEGIN`);
      if (blockLabel === label) {
        if (out.length >= PEM_BLOCKS_MAX) pemError(`more than ${PEM_BLOCKS_MAX} PEM blocks`);
        out.push(decodeBody(body.join(''), label));
      }
      body = undefined;
    } else if (body !== undefined && line.length > 0) {
      body.push(line);
    }
  }
  if (body !== undefined) pemError(`${blockLabel} block has no END line`);
  if (out.length === 0) pemError(`no ${label} block found`);
  return out;
}

function decodeBody(base64: string, label: string): Uint8Array {
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    pemError(`${label} block is not valid base64`);
  }
  const der = new Uint8Array(Buffer.from(base64, 'base64'));
  // Buffer.from skips junk silently; a re-encode that differs means the text was not canonical base64.
  if (Buffer.from(der).toString('base64') !== base64) pemError(`${label} block is not canonical base64`);
  return der;
}

export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  if (!LABEL_PATTERN.test(label)) pemError(`bad PEM label "${label}"`);
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
