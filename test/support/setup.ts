import { afterAll } from 'vitest';
import { stopAll, testEngines } from './servers.js';

// First line of every test file's output: which engines run, and which fall back to redis-7.0 (never silently).
testEngines();

// A safety net: servers a test file forgot to stop are stopped when the file ends.
afterAll(async () => {
  await stopAll();
});
