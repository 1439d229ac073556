import { defineConfig } from 'vitest/config';

// One real QuestDB for the whole run (tests/global-setup.ts); test files run in parallel
// against it, each with its own tables.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
