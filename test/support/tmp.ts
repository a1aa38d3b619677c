import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];
let hooked = false;

/**
 * A fresh folder under the OS temp dir, removed when the test process exits, so test runs do not
 * leave thousands of folders behind (which also slows file creation there for everyone).
 */
export function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ams-${label}-`));
  created.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of created) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
