export { expectCode } from '../helpers/errors.ts';
export { flipped, hex } from '../helpers/bytes.ts';
