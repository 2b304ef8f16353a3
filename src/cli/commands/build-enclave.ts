import { EmuError } from '../../errors.ts';
import { buildEnclaveImageWithMeasurements, measurementsJson, readAppFolder } from '../../enclave/index.ts';
import { requireValue } from '../args.ts';
import { printJson, readText, type Command, type CommandIo } from '../command.ts';


export const buildEnclaveCommand: Command = {
  name: 'build-enclave',
  summary: 'build an enclave image (EIF) from an application folder and print its PCRs',
  usage: `nitro-emu build-enclave --app DIR --output-file EIF [--signing-certificate PEM --private-key PEM]
                        [--name NAME] [--version VERSION] [--metadata JSON]

Like nitro-cli build-enclave, with a folder instead of a docker image: every regular file under DIR
(recursively, sorted) goes into the application ramdisk; the entry is main.js, or the file named in a
top-level 'cmd' file. The kernel and bootstrap ramdisk are the emulator's fixed stand-ins, so PCR1 is
the same for every image. Signing takes a P-384 certificate and its private key (PKCS#8 or SEC1 PEM) and
adds PCR8. The build time in the metadata is fixed (the Unix epoch): the same folder gives the same bytes.
Prints {"Measurements": {...}} as nitro-cli does.`,
  args: { values: ['app', 'output-file', 'signing-certificate', 'private-key', 'name', 'version', 'metadata'] },
  async run(args, io) {
    const appDir = requireValue(args, 'app');
    const output = requireValue(args, 'output-file');
    const certificatePath = args.values.get('signing-certificate');
    const keyPath = args.values.get('private-key');
    if ((certificatePath === undefined) !== (keyPath === undefined)) {
      throw new EmuError('CLI_BAD_ARGS', '--signing-certificate and --private-key go together');
    }
    let metadata: unknown;
    const metadataPath = args.values.get('metadata');
    if (metadataPath !== undefined) {
      try {
        metadata = JSON.parse(readText(io, metadataPath, 'metadata file'));
      } catch (error) {
        if (error instanceof EmuError) throw error;
        throw new EmuError('CLI_BAD_INPUT', `metadata file ${metadataPath} is not JSON`);
      }
    }
    const folder = readAppFolder(appDir);
    io.stderr(`Start building the Enclave Image from ${appDir} (${folder.files.length} files, entry ${folder.entry})...\n`);
    const name = args.values.get('name');
    const version = args.values.get('version');
    const built = buildEnclaveImageWithMeasurements({
      appFiles: folder.files,
      entry: folder.entry,
      ...(name === undefined ? {} : { name }),
      ...(version === undefined ? {} : { version }),
      ...(metadata === undefined ? {} : { metadata }),
      ...(certificatePath === undefined || keyPath === undefined
        ? {}
        : {
            signing: {
              certificatePem: readText(io, certificatePath, 'signing certificate'),
              privateKeyPem: readText(io, keyPath, 'private key'),
            },
          }),
    });
    io.writeFile(output, built.bytes);
    io.stderr(`Enclave Image successfully created: ${output} (${built.bytes.length} bytes).\n`);
    printJson(io, { Measurements: measurementsJson(built.measurements) });
    return 0;
  },
};
