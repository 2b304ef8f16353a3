// The default enclave application. It runs inside the enclave's realm with only the enclave ABI:
// NSM, vsock, its own memory, a console and the runtime library. Its bytes are measured into PCR0/PCR2:
// change anything here and KMS stops releasing the model key to it.
(async function main({ enclave }) {
  const { nsm, vsock, memory, lib } = enclave;
  const PARENT_CID = 3;
  const KMS_PROXY_PORT = 8000;
  const STORAGE_PORT = 8001;
  const INFERENCE_PORT = 5000;
  const LOG_PORT = 8002;
  const STATE_PORT = 8003;
  // The defence switches are measured with this file (defences.json in the same image): a weaker app is
  // another image with another PCR0, which an owner must approve knowingly.
  const measuredFile = (path) => {
    const bytes = enclave.image.readFile(path);
    if (bytes === null) throw new Error(`the image carries no ${path}: refusing to guess its defences`);
    return lib.fromUtf8(bytes);
  };
  const config = JSON.parse(measuredFile('defences.json'));
  // The console reaches the parent only in debug mode; it never carries a secret either way.
  const say = (line) => enclave.console.log(line);
  say(`enclave ${enclave.enclaveId} booted (ABI v${enclave.abiVersion})`);
  // The log stream always reaches the parent (as real apps ship their logs): only the unhygienic app
  // (appLogHygiene off) writes secrets to it.
  const logConnection = await vsock.connect(PARENT_CID, LOG_PORT).catch(() => null);
  const log = (line) => logConnection?.send(lib.utf8(line));
  const logSecret = (line) => {
    if (!config.appLogHygiene) log(line);
  };
  log(`boot ${enclave.enclaveId} config ${JSON.stringify(config)}`);

  // Every wait on the parent is bounded and retried: its relays may drop, delay or duplicate what they
  // carry, and its proxy may restart. Each attempt uses a fresh connection, so a late or duplicated reply
  // to an earlier attempt is never taken for this one's.
  const ATTEMPTS_MAX = 4;
  const REPLY_TIMEOUT_NS = 2_000_000_000;
  const BACKOFF_NS = 50_000_000;
  async function exchange(port, makeMessage, what, wrap = null) {
    let lastError = null;
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      if (attempt > 0) await enclave.sleep(BACKOFF_NS * 2 ** (attempt - 1));
      let connection = null;
      try {
        connection = await vsock.connect(PARENT_CID, port);
        if (wrap !== null) connection = await enclave.withTimeout(wrap(connection), REPLY_TIMEOUT_NS, `${what} handshake`);
        connection.send(makeMessage());
        const reply = await enclave.withTimeout(connection.receive(), REPLY_TIMEOUT_NS, what);
        if (reply !== null) return reply;
        lastError = new Error('connection closed without a reply');
      } catch (error) {
        lastError = error;
      } finally {
        if (connection !== null) connection.close();
      }
    }
    throw new Error(`${what}: no reply after ${ATTEMPTS_MAX} attempts (${lastError === null ? '?' : lastError.message})`);
  }

  // 2. The sealed model and its sealed data key, fetched through the parent (ciphertext only).
  const fetchFile = async (path) => {
    const reply = await exchange(STORAGE_PORT, () => lib.utf8(JSON.stringify({ op: 'get', path })), `storage ${path}`);
    if (reply.length < 1 || reply[0] !== 0) throw new Error(`storage: cannot get ${path}`);
    return reply.subarray(1);
  };
  const tryFetchFile = (path) => fetchFile(path).catch(() => null);

  // 1. Our randomness, and our key pair for KMS's reply: only this enclave can open CiphertextForRecipient.
  // Without appEntropyFromNsm the app seeds from a file the parent supplies, and the parent can recompute every key.
  let random;
  if (config.appEntropyFromNsm) random = lib.randomFromNsm();
  else {
    const seed = await fetchFile('config/entropy.bin');
    random = lib.randomFromSeed(seed);
    enclave.event('enclave.entropy', { source: 'parent-file', bytes: seed.length });
  }
  const recipientKey = lib.generateRsaKeyPair(random, 2048);
  enclave.event('enclave.recipient-key', { bits: 2048 });

  const manifest = JSON.parse(lib.fromUtf8(await fetchFile('model/manifest.json')));
  const sealedDataKey = await fetchFile(manifest.dataKeyPath);
  const sealedWeights = await fetchFile(manifest.weightsPath);

  // 3. Attested Decrypt: KMS checks the document and the key policy, then encrypts the data key to us.
  // A retry attests afresh, so every request carries a document as new as the attempt.
  const decryptRequest = () => {
    // A fresh nonce per request lets KMS refuse any second use of this document.
    const attestation = nsm.attestation({ publicKey: recipientKey.spki, nonce: random.bytes(32) });
    const request = {
      KeyId: manifest.keyId,
      CiphertextBlob: lib.toBase64(sealedDataKey),
      EncryptionContext: manifest.encryptionContext,
      Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: lib.toBase64(attestation) },
    };
    return lib.utf8(JSON.stringify({ target: 'TrentService.Decrypt', body: JSON.stringify(request) }));
  };
  // With kmsChannelPinned the request travels in a TLS-like channel to a KMS certificate under the pinned root,
  // so the parent's proxy relays records it can neither read nor answer itself; without it, plain frames.
  const kmsRootPem = measuredFile('kms-root.pem');
  const secure = async (connection) => {
    try {
      return await lib.secureChannelConnect(connection, { random, pinnedRootPem: kmsRootPem });
    } catch (error) {
      enclave.event('enclave.kms-channel-refused', { code: String(error.code ?? error.message) });
      throw error;
    }
  };
  const kmsReply = await exchange(KMS_PROXY_PORT, decryptRequest, 'kms Decrypt', config.kmsChannelPinned ? secure : null);
  const { status, body } = JSON.parse(lib.fromUtf8(kmsReply));
  const answer = JSON.parse(body);
  if (status !== 200) {
    say(`KMS refused the data key: ${answer.__type}`);
    enclave.event('enclave.key-denied', { type: String(answer.__type) });
    throw new Error(`kms refused the data key: ${answer.__type}`);
  }
  if (answer.Plaintext !== undefined && answer.Plaintext !== null) throw new Error('kms sent plaintext: refusing');
  const dataKey = lib.openEnvelopedData(lib.fromBase64(answer.CiphertextForRecipient), recipientKey);

  logSecret(`data key ${lib.toBase64(dataKey)}`);

  // 4. Weights are decrypted frame by frame inside; the data key is wiped once used. Only the app that does
  // not authenticate its inputs looks for a plaintext model the parent may have put next to the sealed one.
  const plainWeights = config.appAuthenticatesInputs ? null : await tryFetchFile('model/weights.plain');
  const aad = lib.utf8(manifest.weightsAad);
  const weightsBytes = plainWeights ?? lib.decryptFramed(sealedWeights, dataKey, aad);
  const stateKey = lib.sealedStateKey(dataKey);
  lib.wipe(dataKey);
  const source = plainWeights === null ? 'sealed' : 'plain';
  // A model for the accelerators goes to the devices the hypervisor assigned us, and only after each one proved
  // what it is: the policy (pinned vendor roots, reference measurements, minimum firmware) is measured with us.
  const onDevice = manifest.runtime === 'device';
  const newTokens = onDevice ? Math.min(64, Math.max(1, Number(manifest.newTokens) | 0)) : 0;
  let model = null;
  if (onDevice) {
    const path = config.deviceConfidentialPath ? 'confidential' : 'plain';
    let verdicts;
    try {
      verdicts = await enclave.accel.attach({ path, policyJson: measuredFile('device-policy.json') });
    } catch (error) {
      say(`accelerator refused: ${error.code ?? error.message}`);
      enclave.event('enclave.device-refused', { code: String(error.code ?? error.message) });
      throw error;
    }
    for (const v of verdicts) {
      enclave.event('enclave.device-attested', { deviceId: v.deviceId, flavour: v.flavour, trust: v.trustModel, label: v.label, mode: v.mode, svn: v.svn, path });
    }
    const loaded = await enclave.accel.loadModel(weightsBytes);
    lib.wipe(weightsBytes);
    say(`model loaded on ${loaded.devices} device(s): ${loaded.weightBytes} bytes, ${loaded.parameterCount} parameters`);
    enclave.event('enclave.model-loaded', { bytes: loaded.weightBytes, parameters: loaded.parameterCount, source, devices: loaded.devices });
  } else {
    const weightsRegion = memory.store(weightsBytes);
    model = parseModel(memory.load(weightsRegion));
    say(`model loaded: ${weightsBytes.length} bytes, ${model.parameterCount} parameters`);
    enclave.event('enclave.model-loaded', { bytes: weightsBytes.length, parameters: model.parameterCount, source });
  }

  // 5. Sealed state on the parent's disk (AES-GCM under a key from the data key, version in the AAD). With
  // sealedStateVersioned the version must match the platform's monotonic counter, so an old blob is refused.
  const state = await loadSealedState();
  await saveSealedState(state.version + 1, state.data);

  // 6. Serve attested, end-to-end encrypted inference: the parent relays ciphertext it cannot read.
  // A session whose client went away mid-answer ends quietly; it never takes the server down.
  vsock.listen(INFERENCE_PORT, (connection) => void serve(connection).catch(() => connection.close()));
  enclave.event('enclave.ready', { port: INFERENCE_PORT });

  async function serve(connection) {
    let session = null;
    for (;;) {
      const frame = await connection.receive();
      if (frame === null) return;
      let message;
      try {
        message = JSON.parse(lib.fromUtf8(frame));
      } catch {
        connection.send(lib.utf8(JSON.stringify({ type: 'error', code: 'BAD_MESSAGE' })));
        continue;
      }
      if (message.type === 'hello' && typeof message.nonce === 'string') {
        // A fresh key pair per session, attested together with the client's nonce.
        const nonce = lib.fromBase64(message.nonce);
        const keyPair = lib.p384KeyPair(random);
        const document = nsm.attestation({ publicKey: keyPair.publicKey, nonce });
        session = { nonce, keyPair };
        connection.send(lib.utf8(JSON.stringify({ type: 'attestation', document: lib.toBase64(document) })));
      } else if (message.type === 'prompt' && session !== null) {
        const { nonce, keyPair } = session;
        session = null;
        const clientPublicKey = lib.fromBase64(message.clientPublicKey);
        const shared = lib.p384SharedSecret(keyPair.privateKey, clientPublicKey);
        lib.wipe(keyPair.privateKey);
        const key = sessionKey(shared, nonce, clientPublicKey, keyPair.publicKey);
        lib.wipe(shared);
        let prompt;
        try {
          prompt = lib.aes256GcmOpen(key, iv(1), lib.fromBase64(message.ciphertext), lib.utf8('prompt'));
        } catch {
          lib.wipe(key);
          connection.send(lib.utf8(JSON.stringify({ type: 'error', code: 'PROMPT_AUTH_FAILED' })));
          continue;
        }
        logSecret(`prompt ${lib.fromUtf8(prompt)}`);
        const output = onDevice
          ? Uint8Array.from(await enclave.accel.generate(enclave.accel.tokenize(prompt, newTokens), newTokens))
          : infer(model, prompt);
        logSecret(`output ${lib.toBase64(output)}`);
        const sealed = lib.aes256GcmSeal(key, iv(2), output, lib.utf8('output'));
        lib.wipe(key);
        lib.wipe(prompt);
        connection.send(lib.utf8(JSON.stringify({ type: 'output', ciphertext: lib.toBase64(sealed) })));
        enclave.event('enclave.inference', { outputBytes: output.length });
      } else {
        connection.send(lib.utf8(JSON.stringify({ type: 'error', code: 'UNEXPECTED_MESSAGE' })));
      }
    }
  }

  async function stateExchange(message) {
    return exchange(STATE_PORT, () => lib.utf8(JSON.stringify(message)), `state ${message.op}`);
  }

  async function loadSealedState() {
    const counter = enclave.platform.counterRead();
    const reply = await stateExchange({ op: 'get' });
    let loaded = { version: 0, data: lib.utf8(JSON.stringify({ revokedClients: [] })) };
    if (reply[0] === 0) loaded = lib.openSealedState(stateKey, reply.subarray(1));
    // A blob one ahead of the counter is a save whose counter step did not happen (a crash in between).
    const current = loaded.version === counter || loaded.version === counter + 1;
    if (config.sealedStateVersioned && !current) {
      enclave.event('enclave.sealed-state-rejected', { version: loaded.version, counter });
      throw new Error(`sealed state version ${loaded.version} does not match the platform counter ${counter}: rollback refused`);
    }
    enclave.event('enclave.sealed-state-loaded', { version: loaded.version, counter, current });
    return loaded;
  }

  async function saveSealedState(version, data) {
    const blob = lib.sealState(stateKey, version, data, random);
    const reply = await stateExchange({ op: 'put', data: lib.toBase64(blob) });
    if (reply[0] !== 0) throw new Error('state: the parent did not store the sealed state');
    // Blob first, then the counter: a crash in between leaves a blob one ahead, which the next boot accepts.
    if (version > enclave.platform.counterRead()) enclave.platform.counterAdvance(version);
    enclave.event('enclave.sealed-state-saved', { version });
  }

  // The session key is bound to both public keys and the client's nonce, so a relayed or replayed
  // exchange with another enclave or another session derives a different key.
  function sessionKey(shared, nonceBytes, clientPublicKey, enclavePublicKey) {
    const info = lib.concatBytes(lib.utf8('nitro-emu client session v1'), clientPublicKey, enclavePublicKey);
    return lib.hkdfSha384(shared, nonceBytes, info, 32);
  }

  function iv(direction) {
    const bytes = new Uint8Array(12);
    bytes[0] = direction;
    return bytes;
  }

  function parseModel(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = lib.fromUtf8(bytes.subarray(0, 4));
    if (magic !== 'NEMW' || bytes[4] !== 1) throw new Error('not a nitro-emu model file');
    const cardLength = view.getUint16(5);
    let offset = 7 + cardLength;
    const vocab = view.getUint16(offset);
    const dim = view.getUint16(offset + 2);
    const hidden = view.getUint16(offset + 4);
    const classes = view.getUint16(offset + 6);
    offset += 8;
    const take = (count) => {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
      offset += 4 * count;
      return out;
    };
    const embedding = take(vocab * dim);
    const w1 = take(hidden * dim);
    const b1 = take(hidden);
    const w2 = take(classes * hidden);
    const b2 = take(classes);
    if (offset !== bytes.length) throw new Error('model file has trailing bytes');
    return { vocab, dim, hidden, classes, embedding, w1, b1, w2, b2, parameterCount: (bytes.length - 15 - cardLength) / 4 };
  }

  // Mean byte embedding → dense → GELU (tanh form) → dense → softmax, in float32 at every layer output.
  function infer(m, prompt) {
    const x = new Float32Array(m.dim);
    for (let d = 0; d < m.dim; d++) {
      let sum = 0;
      for (let p = 0; p < prompt.length; p++) sum += m.embedding[prompt[p] * m.dim + d];
      x[d] = Math.fround(prompt.length === 0 ? 0 : sum / prompt.length);
    }
    const h = new Float32Array(m.hidden);
    for (let j = 0; j < m.hidden; j++) {
      let acc = m.b1[j];
      for (let d = 0; d < m.dim; d++) acc += m.w1[j * m.dim + d] * x[d];
      const a = Math.fround(acc);
      h[j] = Math.fround(0.5 * a * (1 + Math.tanh(0.7978845608028654 * (a + 0.044715 * a * a * a))));
    }
    const logits = new Float32Array(m.classes);
    let max = -Infinity;
    for (let k = 0; k < m.classes; k++) {
      let acc = m.b2[k];
      for (let j = 0; j < m.hidden; j++) acc += m.w2[k * m.hidden + j] * h[j];
      logits[k] = Math.fround(acc);
      if (logits[k] > max) max = logits[k];
    }
    let total = 0;
    const exps = new Float64Array(m.classes);
    for (let k = 0; k < m.classes; k++) {
      exps[k] = Math.exp(logits[k] - max);
      total += exps[k];
    }
    const probabilities = new Float32Array(m.classes);
    for (let k = 0; k < m.classes; k++) probabilities[k] = Math.fround(exps[k] / total);
    return new Uint8Array(probabilities.buffer);
  }
});
