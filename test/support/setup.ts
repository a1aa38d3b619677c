// Runs in every test file (vitest setupFiles): removes the file's temp folders when it is done.
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.js';

afterAll(() => {
  removeTempDirs();
});
