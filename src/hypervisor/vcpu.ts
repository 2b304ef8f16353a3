/**
 * A vCPU's register state as the hypervisor would save it on a VM exit. 32 vector registers of 64
 * bytes (AVX-512) is 2 KiB. The emulator cannot see inside the app's realm, so it models the register
 * file as the leading bytes of the vCPU's latest memory transfer: the part a parser was holding while
 * it dispatched on a header. Only a conventional hypervisor hands this state to anyone (OP-02).
 */
export const VCPU_REGISTER_FILE_BYTES = 2048;

export class VcpuRegisters {
  readonly #file = new Uint8Array(VCPU_REGISTER_FILE_BYTES);

  /** The vCPU moved `bytes` through its registers. */
  moved(bytes: Uint8Array): void {
    this.#file.fill(0);
    this.#file.set(bytes.subarray(0, VCPU_REGISTER_FILE_BYTES));
  }

  snapshot(): Uint8Array {
    return this.#file.slice();
  }

  clear(): void {
    this.#file.fill(0);
  }
}
