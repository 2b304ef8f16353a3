import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAttestationDocument } from '../../src/crypto/index.ts';
import { DESCRIBE_INFO_KEYS, RUN_INFO_KEYS, TERMINATE_INFO_KEYS } from '../../src/host-server/index.ts';
import { cli, tempDir } from '../helpers/cli.ts';
import { RawClient, nsmRequest, nsmResponse, startServe, type ServeProcess } from './served.ts';

// One `host serve` child for the whole file: the nitro-cli round trip, the console, the NSM socket, garbage, SIGTERM.
const TICKER = `(async function main({ enclave }) {
  for (let i = 0; i < 100000; i++) {
    enclave.console.log('tick ' + i);
    await enclave.sleep(50000000);
  }
})`;

let dir = '';
let socket = '';
let serve: ServeProcess;
let eifPath = '';
let eifMeasurements: Record<string, string> = {};
let production: Record<string, any> = {};
let debug: Record<string, any> = {};

const run = (...argv: string[]) => cli([...argv, '--socket', socket]);
const json = (text: string) => JSON.parse(text) as any;

beforeAll(async () => {
  dir = tempDir('nitro-emu-host-');
  socket = join(dir, 'h.sock');
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'main.js'), TICKER);
  eifPath = join(dir, 'ticker.eif');
  const [built, started] = await Promise.all([
    cli(['build-enclave', '--app', join(dir, 'app'), '--output-file', eifPath, '--name', 'ticker', '--version', '1.0']),
    startServe(['--seed', '9', '--socket', socket, '--root-out', join(dir, 'root.pem')]),
  ]);
  expect(built.code).toBe(0);
  serve = started;
  const described = await cli(['describe-eif', '--eif-path', eifPath]);
  eifMeasurements = json(described.stdout)['Measurements'];
});

afterAll(() => {
  if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('nitro-emu host serve with the nitro-cli commands', () => {
  it('starts with its sockets, prints them first, and refuses a second server on the same path', async () => {
    expect(serve.ready).toMatchObject({ Socket: socket, NsmSocket: `${socket}.nsm`, Seed: 9 });
    expect(serve.ready.InstanceID).toMatch(/^i-[0-9a-f]{17}$/);
    // The root is seed 9's, the same one `attest --seed 9` writes (and kms serve --seed 9 trusts).
    const attested = await cli(['attest', '--seed', '9', '--out', join(dir, 'attest.doc'), '--root-out', join(dir, 'attest-root.pem')]);
    expect(attested.code).toBe(0);
    expect(readFileSync(join(dir, 'root.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(join(dir, 'root.pem'), 'utf8')).toBe(readFileSync(join(dir, 'attest-root.pem'), 'utf8'));
    const second = await cli(['host', 'serve', '--seed', '9', '--socket', socket]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/HOST_SOCKET_BUSY/);
    expect(existsSync(socket)).toBe(true); // the busy path was left to its owner
  });

  it('run-enclave prints exactly nitro-cli’s keys, in order, for a production and a debug-mode enclave', async () => {
    const a = await run('run-enclave', '--eif-path', eifPath, '--memory', '128', '--cpu-count', '1');
    expect(a.code, a.stderr).toBe(0);
    production = json(a.stdout);
    expect(Object.keys(production)).toEqual([...RUN_INFO_KEYS]);
    expect(production).toMatchObject({ EnclaveName: 'ticker', ProcessID: serve.child.pid, EnclaveCID: 16, NumberOfCPUs: 1, CPUIDs: [1], MemoryMiB: 128 });
    // <instance id>-enc<uid in hex, no zero padding>; the uid starts with the launch time in ms.
    const match = new RegExp(`^${serve.ready.InstanceID}-enc([1-9a-f][0-9a-f]*)$`).exec(production['EnclaveID']);
    expect(match).not.toBeNull();
    expect(Math.abs(Number(BigInt(`0x${match![1]}`) >> 16n) - Date.now())).toBeLessThan(60_000);

    const b = await run('run-enclave', '--eif-path', eifPath, '--memory', '128', '--cpu-ids', '3', '--enclave-cid', '21', '--debug-mode', '--enclave-name', 'dbg');
    expect(b.code, b.stderr).toBe(0);
    debug = json(b.stdout);
    expect(debug).toMatchObject({ EnclaveName: 'dbg', EnclaveCID: 21, NumberOfCPUs: 1, CPUIDs: [3], MemoryMiB: 128 });
  });

  it('describe-enclaves lists both RUNNING with nitro-cli’s keys, flags and the image’s measurements', async () => {
    const { code, stdout } = await run('describe-enclaves');
    expect(code).toBe(0);
    const list = json(stdout) as Record<string, any>[];
    expect(list.map((e) => e['EnclaveID'])).toEqual([production['EnclaveID'], debug['EnclaveID']]);
    for (const entry of list) {
      expect(Object.keys(entry)).toEqual([...DESCRIBE_INFO_KEYS]);
      expect(entry['State']).toBe('RUNNING');
      expect(entry['Measurements']).toEqual(eifMeasurements);
    }
    expect(list.map((e) => e['Flags'])).toEqual(['NONE', 'DEBUG_MODE']);
    expect(list[0]).toMatchObject(production);
    const withMetadata = json((await run('describe-enclaves', '--metadata')).stdout) as Record<string, any>[];
    expect(Object.keys(withMetadata[0]!)).toEqual([...DESCRIBE_INFO_KEYS, 'ImageName', 'ImageVersion', 'Metadata']);
    expect(withMetadata[0]).toMatchObject({ ImageName: 'ticker', ImageVersion: '1.0' });
  });

  it('console streams a debug-mode enclave’s lines and refuses a production enclave’s', async () => {
    const attached = await run('console', '--enclave-name', 'dbg', '--disconnect-timeout', '1');
    expect(attached.code, attached.stderr).toBe(0);
    const ticks = attached.stdout.trim().split('\n');
    expect(ticks.length).toBeGreaterThanOrEqual(5); // 50 ms apart for 1 s of wall time
    const numbers = ticks.map((line) => Number(/^tick (\d+)$/.exec(line)![1]));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i)); // consecutive: nothing lost or reordered
    expect(attached.stderr).toMatch(/timeout/);

    const refused = await run('console', '--enclave-id', production['EnclaveID']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/HOST_CONSOLE_NOT_DEBUG/);
    expect(refused.stdout).toBe('');
  });

  it('the NSM socket answers hand-built NSM CBOR; its document verifies against seed 9’s root and carries describe’s PCRs', async () => {
    const nsm = await RawClient.open(`${socket}.nsm`);
    nsm.writeFrame(new TextEncoder().encode(production['EnclaveID']));
    const selected = nsmResponse((await nsm.readFrame())!);
    expect(selected.Selected.enclave_id).toBe(production['EnclaveID']);
    const moduleId = selected.Selected.module_id as string;
    expect(moduleId).toMatch(new RegExp(`^${serve.ready.InstanceID}-enc[0-9a-f]{16}$`));

    const nonce = new Uint8Array(32).map((_, i) => i + 1);
    const userData = new TextEncoder().encode('hello from outside');
    nsm.writeFrame(nsmRequest(new Map<string, unknown>([['Attestation', new Map<string, unknown>([['user_data', userData], ['nonce', nonce], ['public_key', null]])]])));
    const document = new Uint8Array(nsmResponse((await nsm.readFrame())!).Attestation.document);
    const docPath = join(dir, 'doc.cbor');
    writeFileSync(docPath, document);
    const verified = await cli(['verify-attestation', docPath, '--root', join(dir, 'root.pem'), '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    const report = json(verified.stdout);
    expect(report).toMatchObject({ valid: true, moduleId, debugMode: false });
    for (const i of [0, 1, 2]) expect(report.pcrs[String(i)]).toBe(eifMeasurements[`PCR${i}`]);
    const { doc } = parseAttestationDocument(document);
    expect(doc.nonce).toEqual(nonce);
    expect(doc.userData).toEqual(userData);
    expect(doc.publicKey).toBeNull();
    expect(Math.abs(doc.timestamp - Date.now())).toBeLessThan(60_000); // virtual now is wall now
    // Negative: one flipped byte of the signature and the same verifier refuses it.
    const forged = document.slice();
    forged[forged.length - 5]! ^= 0x01;
    writeFileSync(docPath, forged);
    expect((await cli(['verify-attestation', docPath, '--root', join(dir, 'root.pem')])).code).toBe(1);

    nsm.writeFrame(nsmRequest('DescribeNSM'));
    const describeNsm = nsmResponse((await nsm.readFrame())!).DescribeNSM;
    expect(describeNsm).toMatchObject({ module_id: moduleId, max_pcrs: 32, digest: 'SHA384' });
    nsm.writeFrame(nsmRequest(new Map([['DescribePCR', new Map([['index', 0]])]])));
    const pcr0 = nsmResponse((await nsm.readFrame())!).DescribePCR;
    expect(pcr0.lock).toBe(true);
    expect(Buffer.from(pcr0.data).toString('hex')).toBe(eifMeasurements['PCR0']);
    nsm.writeFrame(nsmRequest('GetRandom'));
    nsm.writeFrame(nsmRequest('GetRandom'));
    const r1 = nsmResponse((await nsm.readFrame())!).GetRandom.random as Uint8Array;
    const r2 = nsmResponse((await nsm.readFrame())!).GetRandom.random as Uint8Array;
    expect(r1.length).toBe(256);
    expect(Buffer.from(r1).equals(Buffer.from(r2))).toBe(false);
    // Garbage is the device's InvalidOperation, and the channel keeps working.
    nsm.writeFrame(Uint8Array.of(0xff, 0x00, 0x13));
    expect(nsmResponse((await nsm.readFrame())!)).toEqual({ Error: 'InvalidOperation' });
    nsm.writeFrame(nsmRequest(new Map([['DescribePCR', new Map([['index', 40]])]])));
    expect(nsmResponse((await nsm.readFrame())!)).toEqual({ Error: 'InvalidIndex' });
    nsm.close();

    // A debug-mode enclave's document is valid but its image PCRs read as zero (describe still shows the image's).
    const dbg = await RawClient.open(`${socket}.nsm`);
    dbg.writeFrame(new TextEncoder().encode('dbg'));
    await dbg.readFrame();
    dbg.writeFrame(nsmRequest(new Map([['Attestation', new Map()]])));
    writeFileSync(docPath, new Uint8Array(nsmResponse((await dbg.readFrame())!).Attestation.document));
    const debugReport = json((await cli(['verify-attestation', docPath, '--root', join(dir, 'root.pem'), '--json'])).stdout);
    expect(debugReport).toMatchObject({ valid: true, debugMode: true });
    expect(debugReport.pcrs['0']).toBe('0'.repeat(96));
    dbg.close();

    const unknown = await RawClient.open(`${socket}.nsm`);
    unknown.writeFrame(new TextEncoder().encode('i-0000-enc1'));
    expect(nsmResponse((await unknown.readFrame())!)).toEqual({ Error: 'InvalidArgument' });
    expect(await unknown.readFrame()).toBeNull(); // closed: no device behind that name
  });

  it('garbage on the control socket gets typed errors; the server stays up', async () => {
    const raw = await RawClient.open(socket);
    raw.writeFrame(new TextEncoder().encode('not json {'));
    expect(await raw.json()).toMatchObject({ ok: false, error: { code: 'HOST_BAD_REQUEST' } });
    raw.writeFrame(new TextEncoder().encode(JSON.stringify({ op: 'format-disk' })));
    expect(await raw.json()).toMatchObject({ ok: false, error: { code: 'HOST_BAD_REQUEST' } });
    raw.writeFrame(new TextEncoder().encode(JSON.stringify({ id: 7, op: 'run-enclave', args: { eif: 'AAAA', memory_mib: 128 } })));
    expect(await raw.json()).toMatchObject({ id: 7, ok: false, error: { code: 'HOST_BAD_REQUEST' } });
    raw.writeFrame(new TextEncoder().encode(JSON.stringify({ id: 8, op: 'describe-enclaves' })));
    const still = await raw.json();
    expect(still).toMatchObject({ id: 8, ok: true });
    expect(still!['result']).toHaveLength(2);
    // 100 pipelined requests in one write: served in order, one reply each, past the backpressure bound.
    const burst = Array.from({ length: 100 }, (_, i) => {
      const body = Buffer.from(JSON.stringify({ id: 100 + i, op: 'describe-enclaves' }));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length);
      return Buffer.concat([header, body]);
    });
    raw.writeRaw(Buffer.concat(burst));
    for (let i = 0; i < 100; i++) expect(await raw.json()).toMatchObject({ id: 100 + i, ok: true });
    raw.writeRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)); // announces 4 GiB
    expect(await raw.json()).toMatchObject({ ok: false, error: { code: 'HOST_FRAME_TOO_LARGE' } });
    expect(await raw.readFrame()).toBeNull(); // framing lost: closed

    const truncated = await RawClient.open(socket);
    truncated.writeRaw(Uint8Array.of(0, 0, 1, 0, 0x7b)); // half a frame, then gone
    truncated.socket.destroy();
    expect((await run('describe-enclaves')).code).toBe(0);
  });

  it('refused launches change nothing: bad vCPUs, CIDs, images and names are typed errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cpu-ids', '0'], /HOST_BAD_CPU_IDS/],
      [['--cpu-ids', '3'], /HOST_CPU_IN_USE/],
      [['--cpu-count', '3'], /HOST_NOT_ENOUGH_CPUS/],
      [['--cpu-count', '1', '--enclave-cid', '3'], /HOST_BAD_CID/],
      [['--cpu-count', '1', '--enclave-cid', '21'], /HV_CID_IN_USE/],
      [['--cpu-count', '1', '--enclave-name', 'dbg'], /HOST_ENCLAVE_NAME_IN_USE/],
      [['--cpu-count', '1', '--attach-console'], /CLI_BAD_ARGS/],
    ];
    for (const [extra, code] of cases) {
      const refused = await run('run-enclave', '--eif-path', eifPath, '--memory', '128', ...extra);
      expect(refused.code, extra.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(code);
    }
    const damaged = readFileSync(eifPath);
    damaged[damaged.length - 40]! ^= 0x01;
    writeFileSync(join(dir, 'damaged.eif'), damaged);
    const crc = await run('run-enclave', '--eif-path', join(dir, 'damaged.eif'), '--memory', '128', '--cpu-count', '1');
    expect(crc.stderr).toMatch(/EIF_CRC_MISMATCH/);
    const list = json((await run('describe-enclaves')).stdout) as unknown[];
    expect(list).toHaveLength(2);
    const raw = await RawClient.open(socket);
    raw.writeFrame(new TextEncoder().encode(JSON.stringify({ op: 'describe-host' })));
    expect((await raw.json())!['result']).toMatchObject({ CPUIDs: [1, 2, 3], FreeCPUIDs: [2] });
    raw.close();
  });

  it('terminate-enclave prints nitro-cli’s keys, ends an attached console, and describe shows the enclave gone', async () => {
    const config = join(dir, 'run.json');
    writeFileSync(config, JSON.stringify({ eif_path: eifPath, memory_mib: 64, cpu_count: 1, debug_mode: true, enclave_name: 'cfg' }));
    const viaConfig = await run('run-enclave', '--config', config);
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    expect(json(viaConfig.stdout)).toMatchObject({ EnclaveName: 'cfg', CPUIDs: [2], MemoryMiB: 64 });

    const consoleRun = run('console', '--enclave-name', 'cfg');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const byName = await run('terminate-enclave', '--enclave-name', 'cfg');
    expect(byName.code).toBe(0);
    expect(Object.keys(json(byName.stdout))).toEqual([...TERMINATE_INFO_KEYS]);
    const ended = await consoleRun;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toMatch(/^tick \d+$/m);
    expect(ended.stderr).toMatch(/terminated/);

    // run-enclave --attach-console: the run JSON, then the console until the enclave goes.
    const attachedRun = run('run-enclave', '--eif-path', eifPath, '--memory', '64', '--cpu-count', '1', '--debug-mode', '--attach-console', '--enclave-name', 'att');
    for (let i = 0; i < 100; i++) {
      const names = (json((await run('describe-enclaves')).stdout) as Record<string, any>[]).map((e) => e['EnclaveName']);
      if (names.includes('att')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await run('terminate-enclave', '--enclave-name', 'att')).code).toBe(0);
    const attached = await attachedRun;
    expect(attached.code, attached.stderr).toBe(0);
    const jsonEnd = attached.stdout.indexOf('\n}\n') + 3;
    expect(json(attached.stdout.slice(0, jsonEnd))).toMatchObject({ EnclaveName: 'att', CPUIDs: [2] });
    expect(attached.stdout.slice(jsonEnd)).toMatch(/^tick 0\ntick 1\n/); // attached before the app's first line

    const byId = await run('terminate-enclave', '--enclave-id', production['EnclaveID']);
    expect(json(byId.stdout)).toEqual({ EnclaveName: 'ticker', EnclaveID: production['EnclaveID'], Terminated: true });
    const list = json((await run('describe-enclaves')).stdout) as Record<string, any>[];
    expect(list.map((e) => e['EnclaveID'])).toEqual([debug['EnclaveID']]);
    const again = await run('terminate-enclave', '--enclave-id', production['EnclaveID']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/HOST_NO_SUCH_ENCLAVE/);
    // Its NSM is gone with it.
    const nsm = await RawClient.open(`${socket}.nsm`);
    nsm.writeFrame(new TextEncoder().encode(production['EnclaveID']));
    expect(nsmResponse((await nsm.readFrame())!)).toEqual({ Error: 'InvalidArgument' });
  });

  it('stops cleanly on SIGTERM: exit 0, both socket files removed; clients then get HOST_NOT_RUNNING', async () => {
    serve.child.kill('SIGTERM');
    const { code } = await serve.exited;
    expect(code).toBe(0);
    expect(serve.stderr()).toMatch(/SIGTERM, stopping/);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(`${socket}.nsm`)).toBe(false);
    const after = await run('describe-enclaves');
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/HOST_NOT_RUNNING/);
  });
});
