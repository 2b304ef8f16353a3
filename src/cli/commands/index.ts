import type { Command } from '../command.ts';
import { attestCommand } from './attest.ts';
import { benchCommand } from './bench.ts';
import { buildEnclaveCommand } from './build-enclave.ts';
import { demoCommand } from './demo.ts';
import { describeEifCommand } from './describe-eif.ts';
import { consoleCommand, describeEnclavesCommand, runEnclaveCommand, terminateEnclaveCommand } from './enclaves.ts';
import { fabricCommand } from './fabric.ts';
import { hostCommand } from './host-serve.ts';
import { inferCommand } from './infer.ts';
import { kmsCommand } from './kms-lint.ts';
import { pcrCommand } from './pcr.ts';
import { scenarioCommand } from './scenario.ts';
import { swarmCommand } from './swarm.ts';
import { verifyAttestationCommand } from './verify-attestation.ts';
import { verifyDeviceAttestationCommand } from './verify-device-attestation.ts';

export const commands: readonly Command[] = [demoCommand, inferCommand, attestCommand, verifyAttestationCommand, verifyDeviceAttestationCommand, benchCommand, buildEnclaveCommand, describeEifCommand, pcrCommand, scenarioCommand, kmsCommand, swarmCommand, fabricCommand, hostCommand, runEnclaveCommand, describeEnclavesCommand, terminateEnclaveCommand, consoleCommand];
