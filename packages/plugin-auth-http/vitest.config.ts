import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests run against TypeScript sources: vitest resolves in SSR mode, which has its own conditions.
  resolve: { conditions: ['midge-source'] },
  ssr: { resolve: { conditions: ['midge-source'] } },
  test: {
    name: 'plugin-auth-http',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
