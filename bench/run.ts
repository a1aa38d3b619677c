/**
 * `npm run bench`: every benchmark, each printing its figures as ratios against a baseline
 * measured in the same run (absolute times on a shared 2-core machine mean little alone).
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const scripts: string[][] = [
  ['import.ts'],
  ['processor.ts'],
  ['claude-hooks.ts'],
  ['receiver.ts'],
  // OTLP/JSON bodies: the split by trace on the main thread, from the bytes vs from a parse.
  ['receiver.ts', '--json', '--requests', '120'],
  // RSS of an overloaded receiver against its byte bound (maxBufferedBytes).
  ['memory.ts'],
  ['cli.ts'],
  // ams ls --since 1d over 100,000 sessions' compacted index segments in s3rver: time and requests.
  ['ls-since.ts'],
  // SQL over 100,000 index entries with DuckDB (ams query).
  ['query.ts'],
];
console.log(`# ams-otel benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const [s, ...args] of scripts) {
  const file = path.join(here, s!);
  if (!existsSync(file)) continue;
  execFileSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
}
