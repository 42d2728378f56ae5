export { createPersistence, LmdbPersistence } from './lmdb-persistence.js';
export { LOCK_FILE } from './lock.js';
