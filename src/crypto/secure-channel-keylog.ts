/**
 * What anyone holding a client's ephemeral private key can do with a captured secure-channel session (the
 * counterpart of a TLS key log): re-derive the session keys from the two hellos and open the records. The
 * emulator needs it to show the consequence of an enclave whose randomness came from the parent (PA-15):
 * the parent recomputes the "ephemeral" key and reads everything the channel was meant to hide.
 */
import { EmuError } from '../errors.ts';
import { concatBytes } from './bytes.ts';
import { sha384 } from './hash.ts';
import { CONTENT_DATA, RecordProtector } from './secure-channel-record.ts';
import { MAC_BYTES, RANDOM_BYTES, SERVER_HELLO, ecdhP384, keySchedule, openHandshake } from './secure-channel-handshake.ts';
import { P384_POINT_LENGTH, P384_SIGNATURE_LENGTH } from './ecdsa.ts';

export interface CapturedSession {
  readonly clientHello: Uint8Array;
  readonly serverHello: Uint8Array;
  /** Records in the order they were sent, one direction. */
  readonly records: readonly Uint8Array[];
  readonly direction: 'client-to-server' | 'server-to-client';
}

/** Opens captured records with the client's ephemeral private key; returns the data records' plaintexts. */
export function openCapturedSession(session: CapturedSession, clientEphemeralPrivateKey: Uint8Array): Uint8Array[] {
  const reader = openHandshake(session.serverHello, SERVER_HELLO, 'ServerHello');
  const version = reader.u16();
  const suite = reader.u16();
  reader.take(RANDOM_BYTES);
  const serverShare = reader.take(P384_POINT_LENGTH);
  const count = reader.u8();
  for (let i = 0; i < count; i++) reader.take(reader.u16());
  const signedUpTo = reader.offset;
  reader.take(P384_SIGNATURE_LENGTH + MAC_BYTES);
  reader.end();
  const transcriptHash = sha384(concatBytes(session.clientHello, session.serverHello.subarray(0, signedUpTo)));
  const keys = keySchedule(ecdhP384(clientEphemeralPrivateKey, serverShare), transcriptHash, version, suite);
  const opener = new RecordProtector(session.direction === 'client-to-server' ? keys.clientWrite : keys.serverWrite, version);
  const out: Uint8Array[] = [];
  for (const record of session.records) {
    const opened = opener.open(record);
    if (opened.contentType === CONTENT_DATA) out.push(opened.data.slice());
  }
  if (out.length === 0 && session.records.length > 0) throw new EmuError('SCHAN_NO_DATA', 'the captured records carry no data');
  return out;
}
