/**
 * Import cost (issue 10): what `import 'ams-otel'` costs a process, against importing
 * `@opentelemetry/sdk-trace-base` (what any OTel user already loads). Target: root ≤ 1.2× baseline.
 *
 * Each sample is a fresh `node` process that times one `await import(...)` of the built package
 * (dist/, as users load it; node's own start-up is not in the figure). Baseline and entries run in
 * alternating rounds so machine load drifts evenly over both; figures are medians.
 *
 *   npx tsx bench/import.ts     (npm run bench runs it; it builds first; BENCH_IMPORT_ROUNDS to change)
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 15);
const TARGET_RATIO = 1.2;
const root = path.resolve(import.meta.dirname, '..');
const dist = (p: string) => pathToFileURL(path.join(root, 'dist', p)).href;

const BASELINE = '@opentelemetry/sdk-trace-base';
const entries: Array<[label: string, specifier: string]> = [
  ['ams-otel', dist('src/index.js')],
  ['ams-otel/claude', dist('src/claude/index.js')],
  ['ams-otel/receiver', dist('receiver/index.js')],
  ['ams-otel/viewer', dist('src/viewer/index.js')],
];

/**
 * One fresh process's cost of `await import(specifier)`: wall time, and CPU time (user + system),
 * which other processes on a shared machine disturb less than the wall clock.
 */
function importCost(specifier: string): { wall: number; cpu: number } {
  const code =
    `const c = process.cpuUsage(), t = performance.now(); await import(${JSON.stringify(specifier)});` +
    `const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));`;
  // cwd = the package root, so the bare baseline specifier resolves from its node_modules.
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' })) as { wall: number; cpu: number };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

// Measure what this work tree's code builds to, not a stale dist/.
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });

const all: Array<[label: string, specifier: string]> = [[BASELINE, BASELINE], ...entries];
const samples = new Map(all.map(([label]) => [label, { wall: [] as number[], cpu: [] as number[] }]));
importCost(BASELINE); // warm the file-system cache once so the first round is not an outlier
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, specifier] of all) {
    const { wall, cpu } = importCost(specifier);
    samples.get(label)!.wall.push(wall);
    samples.get(label)!.cpu.push(cpu);
  }
}
const base = { wall: median(samples.get(BASELINE)!.wall), cpu: median(samples.get(BASELINE)!.cpu) };
console.log(`\n## import cost: one \`await import()\` in a fresh process, medians of ${ROUNDS} alternating rounds`);
console.log(`${'entry'.padEnd(32)} ${'wall'.padStart(10)} ${'ratio'.padStart(6)} ${'cpu'.padStart(10)} ${'ratio'.padStart(6)}`);
for (const [label] of all) {
  const wall = median(samples.get(label)!.wall);
  const cpu = median(samples.get(label)!.cpu);
  const [wallRatio, cpuRatio] = [wall / base.wall, cpu / base.cpu];
  const met = (r: number) => (r <= TARGET_RATIO ? 'met' : 'NOT met');
  const note = label === BASELINE ? '  (baseline)' : label === 'ams-otel' ? `  target ≤ ${TARGET_RATIO}×: wall ${met(wallRatio)}, cpu ${met(cpuRatio)}` : '';
  console.log(`${label.padEnd(32)} ${fmt(wall)} ${(wallRatio.toFixed(2) + '×').padStart(6)} ${fmt(cpu)} ${(cpuRatio.toFixed(2) + '×').padStart(6)}${note}`);
}
