import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

/**
 * A fresh folder under the OS temp dir, removed after the test file finishes (see setup.ts), so
 * test runs do not leave thousands of folders behind (which also slows file creation there).
 */
export function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ams-${label}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}
