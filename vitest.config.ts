import { defineConfig } from 'vitest/config';

// One run over every package: each package's own vitest.config.ts is a project (timeouts live there:
// file-based projects do not inherit this file's test options).
export default defineConfig({
  // Tests run against TypeScript sources: vitest resolves in SSR mode, which has its own conditions.
  resolve: { conditions: ['midge-source'] },
  ssr: { resolve: { conditions: ['midge-source'] } },
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*', 'scripts'],
  },
});
