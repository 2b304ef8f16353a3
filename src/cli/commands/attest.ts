import { derToPem, fromHex } from '../../crypto/index.ts';
import { NsmClient } from '../../enclave/index.ts';
import { parseEpoch } from '../../sim/index.ts';
import { World } from '../../world/index.ts';
import { optionalInteger, requireValue } from '../args.ts';
import type { Command } from '../command.ts';

export const attestCommand: Command = {
  name: 'attest',
  summary: "boot the default enclave in world N and write its NSM attestation document",
  usage: `nitro-emu attest --seed N --out DOC [--root-out PEM] [--nonce HEX] [--user-data HEX] [--public-key DER]
                 [--debug-mode] [--epoch MS|ISO|now]

Writes the raw COSE_Sign1 document exactly as the emulated NSM emits it, and with --root-out the
emulated Nitro root of world N (PEM). The same seed gives the same root, byte for byte, whatever the
epoch. The epoch defaults to now, so the document verifies against the clock today.`,
  args: { values: ['seed', 'out', 'root-out', 'nonce', 'user-data', 'public-key', 'epoch'], booleans: ['debug-mode'] },
  async run(args, io) {
    const seed = optionalInteger(args, 'seed', 1);
    const out = requireValue(args, 'out');
    const epochMs = parseEpoch(args.values.get('epoch'), 'now');
    const nonce = args.values.has('nonce') ? fromHex(args.values.get('nonce')!) : undefined;
    const userData = args.values.has('user-data') ? fromHex(args.values.get('user-data')!) : undefined;
    const publicKey = args.values.has('public-key') ? io.readFile(args.values.get('public-key')!) : undefined;
    const world = new World({ seed, epochMs });
    const enclave = world.host.launchEnclave(world.parent, world.approvedImage, {
      memoryMiB: 256,
      cpuCount: 2,
      debugMode: args.booleans.has('debug-mode'),
      startApplication: false,
    });
    const nsm = new NsmClient((request) => world.host.nsmRequestFor(enclave.enclaveId, request));
    const document = nsm.attestation({
      ...(nonce ? { nonce } : {}),
      ...(userData ? { userData } : {}),
      ...(publicKey ? { publicKey } : {}),
    });
    io.writeFile(out, document);
    const rootOut = args.values.get('root-out');
    if (rootOut !== undefined) io.writeFile(rootOut, derToPem(world.host.nitro.rootCertificateDer));
    io.stderr(
      `wrote ${document.length}-byte attestation document of ${enclave.enclaveId} to ${out}` +
        `${rootOut ? ` and the emulated root of seed ${seed} to ${rootOut}` : ''}\n` +
        `PCR0 ${enclave.pcrs[0]}${enclave.debugMode ? ' (debug mode)' : ''}\n`,
    );
    return 0;
  },
};
