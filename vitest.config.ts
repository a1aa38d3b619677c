import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Builds dist/ once before any file runs (the CLI tests spawn the compiled `ams`).
    globalSetup: ['test/support/build-cli.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers on loopback ports; two workers match the machine's cores.
    maxWorkers: 2,
  },
});
