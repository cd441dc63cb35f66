import { defineConfig } from 'vitest/config';

// supabase-js needs a WebSocket constructor at creation; Node 20 has one
// behind a flag (Node 22 and Electron have it by default).
const nodeMajor = Number(process.versions.node.split('.')[0]);

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: nodeMajor < 22 ? ['--experimental-websocket'] : [],
    // One Postgres per run; suites read its URL with inject('dbUrl').
    globalSetup: ['tests/support/global-setup.ts'],
  },
});
