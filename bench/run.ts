/**
 * `npm run bench`: every benchmark, each printing its figures as ratios against a baseline
 * measured in the same run (absolute times on a shared 2-core machine mean little alone).
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const scripts = ['import.ts', 'processor.ts', 'claude-hooks.ts', 'receiver.ts', 'cli.ts', 'query.ts'];
console.log(`# ams-otel benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const s of scripts) {
  const file = path.join(here, s);
  if (!existsSync(file)) continue;
  execFileSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
}
