import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `ams-${label}-`));
}
