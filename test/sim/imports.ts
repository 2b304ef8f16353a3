// Internal pieces of src/sim that only its own tests reach directly.
export { EventQueue } from '../../src/sim/event-queue.ts';
export { AuditLog } from '../../src/sim/index.ts';
