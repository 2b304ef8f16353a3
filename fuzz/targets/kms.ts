// Targets over the KMS: the AWS JSON 1.1 dispatcher (stateful), key policies (parser and linter), and the served
// KMS's state file (decode + restore into an empty service).
import { sha256Hex, toBase64 } from '../../src/crypto/index.ts';
import { type KmsCaller, KmsService, defaultKeyPolicyText, lintKeyPolicy, parseKeyPolicy } from '../../src/kms/index.ts';
import { STATE_FILE_MAGIC, STATE_FILE_VERSION, decodeStateFile, encodeStateFile } from '../../src/kms-server/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { attestedKeyPolicy, unattestedKeyPolicy } from '../../src/world/index.ts';
import { decodeRecords, encodeRecords } from '../records.ts';
import { type FuzzTarget, StateChangedAfterRefusal } from '../types.ts';
import { awsRootDer } from './fixtures.ts';

const ACCOUNT = '111122223333';
const ROOT: KmsCaller = { arn: `arn:aws:iam::${ACCOUNT}:root` };
const ROLE = `arn:aws:iam::${ACCOUNT}:role/parent`;
/** A long run's keys, grants and audit entries are dropped this often, so state (and digests of it) stay small. */
const SERVICE_INPUTS_MAX = 500;

const utf8 = (text: string) => new TextEncoder().encode(text);

function newService(rootDer: Uint8Array, seed: number): KmsService {
  return new KmsService({ sim: new Simulator({ seed }), attestationRootDer: rootDer, keysMax: 64, grantsMax: 64, noncesMax: 64 });
}

/** A key, an alias, a grant and a ciphertext, made through the service's own API. */
function populate(kms: KmsService): { keyId: string; blob: Uint8Array } {
  const { KeyMetadata } = kms.call('CreateKey', { Description: 'fuzz' }, ROOT);
  const keyId = KeyMetadata.KeyId;
  kms.call('CreateAlias', { AliasName: 'alias/fuzz', TargetKeyId: keyId }, ROOT);
  kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: ROLE, Operations: ['Decrypt', 'Encrypt'] }, ROOT);
  const { CiphertextBlob } = kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('fuzz plaintext'), EncryptionContext: { app: 'fuzz' } }, ROOT);
  return { keyId, blob: CiphertextBlob };
}

/** Everything a refusal must leave alone: keys, policies, aliases, grants, spent nonces. */
function fingerprint(kms: KmsService): string {
  return `${kms.stateDigest()}|${kms.stateVersion}|${kms.rememberedNonces}`;
}

export const kmsRequest: FuzzTarget = {
  name: 'kms-request',
  format: 'records',
  recordFormat: 'json',
  setup() {
    const rootDer = awsRootDer();
    let kms = newService(rootDer, 3);
    let { keyId, blob } = populate(kms);
    let runs = 0;
    const request = (operation: string, body: object) => encodeRecords([utf8(`TrentService.${operation}`), utf8(JSON.stringify(body))]);
    const seeds = [
      request('CreateKey', { Description: 'another', KeyUsage: 'ENCRYPT_DECRYPT' }),
      request('Encrypt', { KeyId: keyId, Plaintext: toBase64(utf8('hello')), EncryptionContext: { app: 'fuzz' } }),
      request('Decrypt', { CiphertextBlob: toBase64(blob), EncryptionContext: { app: 'fuzz' } }),
      request('GenerateDataKey', { KeyId: 'alias/fuzz', KeySpec: 'AES_256' }),
      request('DescribeKey', { KeyId: keyId }),
      request('PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: defaultKeyPolicyText(ACCOUNT) }),
      request('CreateGrant', { KeyId: keyId, GranteePrincipal: ROLE, Operations: ['Decrypt'] }),
      request('ListGrants', { KeyId: keyId }),
      request('GenerateRandom', { NumberOfBytes: 32 }),
      request('ReEncrypt', { CiphertextBlob: toBase64(blob), SourceEncryptionContext: { app: 'fuzz' }, DestinationKeyId: keyId }),
      request('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }),
    ];
    return {
      seeds,
      run(input) {
        if (++runs % SERVICE_INPUTS_MAX === 0) {
          kms = newService(rootDer, 3);
          ({ keyId, blob } = populate(kms));
        }
        const [target, body] = decodeRecords(input);
        const before = fingerprint(kms);
        const reply = kms.handleJson(new TextDecoder().decode(target ?? new Uint8Array(0)), new TextDecoder().decode(body ?? new Uint8Array(0)), ROOT);
        if (reply.status === 200) return 'valid';
        // A 500 that was not a KmsError is something unexpected thrown inside: the service hides it, we do not.
        const last = kms.audit.entries.at(-1);
        const code = last?.details['code'];
        if (code === 'KMS_INTERNAL' || code === 'KMS_ASSERTION') throw new Error(`KMS internal error (${String(code)}): ${reply.body}`);
        if (fingerprint(kms) !== before) throw new StateChangedAfterRefusal(`${reply.status} ${reply.body.slice(0, 200)}`);
        return 'typed';
      },
    };
  },
};

export const keyPolicy: FuzzTarget = {
  name: 'key-policy',
  format: 'json',
  setup() {
    const seeds = [
      defaultKeyPolicyText(ACCOUNT),
      JSON.stringify(attestedKeyPolicy(`arn:aws:iam::${ACCOUNT}:root`, ROLE, 'ab'.repeat(48))),
      JSON.stringify(unattestedKeyPolicy(`arn:aws:iam::${ACCOUNT}:root`, ROLE)),
    ].map(utf8);
    return {
      seeds,
      run(input) {
        const text = new TextDecoder().decode(input);
        const findings = lintKeyPolicy(text);
        if (!Array.isArray(findings)) throw new TypeError('lintKeyPolicy returned no list');
        parseKeyPolicy(text);
        parseKeyPolicy(text, { unknownConditionKeys: 'keep' });
        return 'valid';
      },
    };
  },
};

export const kmsState: FuzzTarget = {
  name: 'kms-state',
  format: 'json',
  setup() {
    const rootDer = awsRootDer();
    const source = newService(rootDer, 5);
    populate(source);
    const state = { seed: 5, boots: 1, kms: source.exportState() };
    const file = encodeStateFile(state);
    // Two forms: a whole file (header, length, hash, body), and a bare body the target frames with a correct header,
    // so body mutations get past the hash and reach the snapshot validator.
    const seeds = [file, utf8(JSON.stringify(state)), file.subarray(0, 40)];
    const emptyFingerprint = fingerprint(newService(rootDer, 5));
    return {
      seeds,
      run(input) {
        const kms = newService(rootDer, 5);
        const file = input[0] === 0x7b ? withHeader(input) : input;
        try {
          const loaded = decodeStateFile(file, 'fuzz.state');
          kms.restoreState(loaded.kms);
          return 'valid';
        } catch (error) {
          if (fingerprint(kms) !== emptyFingerprint) throw new StateChangedAfterRefusal('a refused state file left state behind');
          throw error;
        }
      },
    };
  },
};

/** The header encodeStateFile writes, over this exact body. */
function withHeader(body: Uint8Array): Uint8Array {
  const head = utf8(`${STATE_FILE_MAGIC}/${STATE_FILE_VERSION} length=${body.length} sha256=${sha256Hex(body)}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}
