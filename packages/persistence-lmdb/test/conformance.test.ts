import { describe, expect, it } from 'vitest';
import { persistenceConformanceSuite } from '@midge/mqtt-core/testing';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

for (const sync of ['batch', 'always', 'none'] as const) {
  let dir = '';
  persistenceConformanceSuite(
    `LmdbPersistence (sync: ${sync})`,
    () => {
      dir = tempDir(sync);
      return Promise.resolve(new LmdbPersistence({ path: dir, sync }));
    },
    { describe, it, expect },
    { reopen: () => Promise.resolve(new LmdbPersistence({ path: dir, sync })) },
  );
}
