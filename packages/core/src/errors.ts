export { MidgeError, CodecError } from './codec/errors.js';
