// Runs in every test file (vitest setupFiles): removes the file's temp folders when it is done.
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.js';

afterAll(() => {
  removeTempDirs();
});

// Index segments are written AMS_INDEX_FLUSH_MS after their first entry (default 5 s, a
// production figure): tests that wait for a session to be listed while a writer runs would wait
// that long. A short interval here (inherited by the receivers and CLIs the tests spawn with
// process.env) keeps them quick; test/index-segments.test.ts tests the flush rules themselves.
process.env.AMS_INDEX_FLUSH_MS ??= '50';
