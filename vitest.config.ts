import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    include: ['test/**/*.test.ts', 'property-tests/**/*.test.ts'],
    pool: 'forks',
    // components are compiled and instantiated for real; a cold componentize-js fixture build can take
    // 30 s on a busy 2-core machine
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
