// Tests run WebGPU through Dawn on lavapipe: one worker at a time keeps the 2-core CI machine responsive.
// The global setup builds dist/ first (the CLI the end-to-end tests spawn).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
