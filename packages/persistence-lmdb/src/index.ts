export { createPersistence, LmdbPersistence } from './lmdb-persistence.js';
export type { CompactResult } from './compact.js';
export { LOCK_FILE } from './lock.js';
