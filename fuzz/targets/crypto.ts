// Targets over src/crypto's parsers: COSE attestation documents, X.509 chains, CMS EnvelopedData, framed weights.
import {
  AttestationVerifier,
  createEmulatedNitroRoot,
  createNitroIntermediates,
  encodeAttestationPayload,
  encodeCoseSign1Es384,
  issueEnclaveLeaf,
  buildEnvelopedData,
  decryptFramed,
  encryptFramed,
  generateRsaKeyPair,
  openEnvelopedData,
  parseAttestationDocument,
  parseCertificate,
  pemToDer,
  verifyCertificateChain,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/index.ts';
import { generateModelFile, parseModelFile } from '../../src/world/index.ts';
import { decodeRecords, encodeRecords } from '../records.ts';
import type { FuzzTarget } from '../types.ts';
import { FUZZ_NOW_MS, NITRO_DOCS, awsRootDer, fixture } from './fixtures.ts';

/** The document's own timestamp when it has a usable one, so the real (expired) chains are judged as of then. */
function atMsOf(bytes: Uint8Array): number {
  try {
    const t = parseAttestationDocument(bytes).doc.timestamp;
    return Number.isSafeInteger(t) ? t : FUZZ_NOW_MS;
  } catch {
    return FUZZ_NOW_MS;
  }
}

const MAP_MAJOR = 5;

/**
 * Two kinds of input. A COSE_Sign1 document (the real AWS fixtures) is verified as it is. A bare payload (a CBOR
 * map) is signed with an emulated enclave leaf first, so payload mutations get past the signature and reach the
 * field, chain and freshness checks instead of all dying at ATT_BAD_SIGNATURE.
 */
export const attestationDoc: FuzzTarget = {
  name: 'attestation-doc',
  format: 'cbor',
  setup() {
    const aws = new AttestationVerifier(awsRootDer());
    const random = new Prng(13, 'fuzz/nitro-pki');
    const root = createEmulatedNitroRoot(random);
    const issuedAtMs = FUZZ_NOW_MS - 3600_000;
    const chain = createNitroIntermediates({ random, root, issuedAtMs, region: 'us-east-1', instanceId: 'i-0123456789abcdef0' });
    const moduleId = 'i-0123456789abcdef0-enc0123456789abcdef';
    const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region: 'us-east-1', notBeforeMs: issuedAtMs + 1000 });
    const ours = new AttestationVerifier(root.der);
    const pcrs = new Map<number, Uint8Array>();
    for (let i = 0; i < 16; i++) pcrs.set(i, new Uint8Array(48).fill(i < 3 ? 0x10 + i : 0));
    const doc = {
      moduleId, digest: 'SHA384' as const, timestamp: FUZZ_NOW_MS - 1000, pcrs, certificate: leaf.der, cabundle: chain.cabundle,
      publicKey: new Uint8Array(97).fill(4), userData: new TextEncoder().encode('user data'), nonce: new Uint8Array(32).fill(9),
    };
    const payloads = [encodeAttestationPayload(doc), encodeAttestationPayload({ ...doc, publicKey: null, userData: null, nonce: null }, 'indefinite')];
    return {
      seeds: [...NITRO_DOCS.map(fixture), ...payloads],
      run(input) {
        if (input.length > 0 && input[0]! >> 5 === MAP_MAJOR) {
          ours.verify(encodeCoseSign1Es384(input, leaf.keyPair.privateKey), { atMs: FUZZ_NOW_MS, maxAgeMs: 5 * 60_000 });
        } else {
          aws.verify(input, { atMs: atMsOf(input), maxAgeMs: 5 * 60_000 });
        }
        return 'valid';
      },
    };
  },
};

export const x509Chain: FuzzTarget = {
  name: 'x509-chain',
  format: 'records',
  recordFormat: 'der',
  setup() {
    const root = parseCertificate(awsRootDer());
    const seeds: Uint8Array[] = [];
    for (const file of NITRO_DOCS.slice(0, 3)) {
      const { doc } = parseAttestationDocument(fixture(file));
      // Record 0 is the verification time (u64 ms), then the chain leaf first, as verifyCertificateChain takes it.
      const at = new Uint8Array(8);
      new DataView(at.buffer).setBigUint64(0, BigInt(doc.timestamp));
      seeds.push(encodeRecords([at, doc.certificate, ...doc.cabundle.slice(1).reverse()]));
    }
    const nvidia = pemToDer(new TextDecoder().decode(fixture('nvidia/hopper-cert-chain.pem')));
    const at = new Uint8Array(8);
    new DataView(at.buffer).setBigUint64(0, BigInt(FUZZ_NOW_MS));
    seeds.push(encodeRecords([at, ...nvidia.slice(0, -1)]));
    const nvidiaRoot = parseCertificate(nvidia[nvidia.length - 1]!);
    return {
      seeds,
      run(input) {
        const [time, ...ders] = decodeRecords(input);
        const atMs = time !== undefined && time.length === 8 ? Number(new DataView(time.buffer, time.byteOffset, 8).getBigUint64(0) % 2n ** 52n) : FUZZ_NOW_MS;
        const chain = ders.map((der) => parseCertificate(der));
        if (chain.length === 0) return 'typed';
        const anchor = chain[0]!.issuer === root.subject ? root : nvidiaRoot;
        verifyCertificateChain(chain, anchor, atMs);
        return 'valid';
      },
    };
  },
};

export const cms: FuzzTarget = {
  name: 'cms',
  format: 'der',
  setup() {
    const random = new Prng(7, 'fuzz/cms');
    const key = generateRsaKeyPair(random);
    const seeds = [new Uint8Array(32).fill(7), new Uint8Array(0), new Uint8Array(1000).fill(1)].map((p) => buildEnvelopedData(p, key.spki, random));
    return {
      seeds,
      run(input) {
        openEnvelopedData(input, key);
        return 'valid';
      },
    };
  },
};

export const weightFrames: FuzzTarget = {
  name: 'weight-frames',
  format: 'bytes',
  setup() {
    const random = new Prng(11, 'fuzz/weights');
    const key = random.bytes(32);
    const aad = new TextEncoder().encode('model=fuzz');
    const model = generateModelFile(random, 'fuzz model card', { vocab: 16, dim: 8, hidden: 8, classes: 4 });
    const seeds = [
      encryptFramed(model, key, { random, frameLength: 1024, aad }),
      encryptFramed(new Uint8Array(0), key, { random, aad }),
      encryptFramed(model.subarray(0, 2048), key, { random, frameLength: 1024, aad }),
    ];
    return {
      seeds,
      run(input) {
        // The sealed stream opens to a model file, which is parsed as the loader would.
        parseModelFile(decryptFramed(input, key, aad));
        return 'valid';
      },
    };
  },
};
