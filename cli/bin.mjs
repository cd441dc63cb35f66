#!/usr/bin/env node
// The package's `vidsync` bin: plain Node loads tsx's ESM hooks, then runs the
// TypeScript CLI in-process (no second Node process, no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('./main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
