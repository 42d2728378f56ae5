import { describe, expect, it } from 'vitest';
import { persistenceConformanceSuite } from './conformance.js';
import { MemoryPersistence } from './memory.js';

// MemoryPersistence outlives close() (a second broker in the same process can start on it): reopening is
// using the same object again.
let last = new MemoryPersistence();
persistenceConformanceSuite(
  'MemoryPersistence',
  () => {
    last = new MemoryPersistence();
    return Promise.resolve(last);
  },
  { describe, it, expect },
  { reopen: () => Promise.resolve(last) },
);
