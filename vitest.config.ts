import { defineConfig } from 'vitest/config';

// One run over every package: each package's own vitest.config.ts is a project.
export default defineConfig({
  resolve: { conditions: ['midge-source'] },
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
