import { Command } from 'commander';
import { readAllIndex } from '../../src/query/scan.js';
import { computeStats, DEFAULT_GROUP_BY } from '../../src/query/stats.js';
import type { StatsGroup } from '../../src/query/stats.js';
import { addStorageOptions, addFilterOptions, EXIT_OK, filterFrom, readerFor, reportSkipped, write } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { clean, fmtCost, fmtDuration, fmtTokens, table, toJson } from '../format.js';
import type { Column } from '../format.js';

export function statsCommand(ctx: CliContext): Command {
  const cmd = new Command('stats')
    .summary('sessions, error rate, failures, cost, tokens and p50/p95 duration, by agent version')
    .description(
      [
        'Figures over the matching sessions, one row per value of --group-by (default agent.version;',
        'any single-valued index field: agent.name, model, environment, status, metadata.<key>, ...),',
        'most sessions first, then the total. Failure, category, code and tool counts are sessions.',
        'Durations are nearest-rank percentiles. --json prints what GET /api/stats returns.',
      ].join('\n'),
    )
    .argument('[words...]', 'text search, like -q')
    .option('--group-by <field>', 'index field to group by', DEFAULT_GROUP_BY)
    .option('--json', 'print the figures as JSON (the shape of GET /api/stats)');
  addFilterOptions(cmd);
  addStorageOptions(cmd);
  return cmd.action(async (words: string[], opts: Values) => {
    ctx.code = await stats(cmd, ctx, opts, words);
  });
}

/** `a×3, b×1`: the first few of a count map (already most frequent first). */
function top(counts: Record<string, number>, n = 3): string {
  const entries = Object.entries(counts);
  if (!entries.length) return '-';
  const shown = entries.slice(0, n).map(([k, v]) => `${k}×${v}`);
  return entries.length > n ? `${shown.join(', ')}, +${entries.length - n}` : shown.join(', ');
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

async function stats(cmd: Command, ctx: CliContext, v: Values, words: string[]): Promise<number> {
  const filter = filterFrom(v, words);
  const groupBy = typeof v.groupBy === 'string' && v.groupBy.trim() !== '' ? v.groupBy : DEFAULT_GROUP_BY;
  const reader = await readerFor(cmd, ctx);
  const entries = await readAllIndex(reader, undefined, reportSkipped('stats'), { since: filter.since });
  const result = computeStats(entries, filter, groupBy);
  if (v.json) {
    await write(process.stdout, `${toJson(result, 2)}\n`);
    return EXIT_OK;
  }
  if (result.total.sessions === 0) {
    process.stderr.write(entries.length === 0 ? 'no sessions yet (run an instrumented agent, or `ams demo`)\n' : `no session matches (of ${entries.length})\n`);
    return EXIT_OK;
  }
  const columns: Column<StatsGroup & { label: string }>[] = [
    { header: result.group_by.toUpperCase(), get: (g) => g.label, max: 32 },
    { header: 'SESSIONS', get: (g) => String(g.sessions), align: 'right' },
    { header: 'W/ERRORS', get: (g) => String(g.sessions_with_errors), align: 'right' },
    { header: 'RATE', get: (g) => percent(g.error_rate), align: 'right' },
    { header: 'ERRORS', get: (g) => String(g.errors), align: 'right', drop: 3 },
    { header: 'COST', get: (g) => fmtCost(g.cost_usd, g.cost_partial), align: 'right' },
    { header: 'IN', get: (g) => fmtTokens(g.input_tokens), align: 'right', drop: 1 },
    { header: 'OUT', get: (g) => fmtTokens(g.output_tokens), align: 'right', drop: 2 },
    { header: 'P50', get: (g) => fmtDuration(g.duration_ms.p50 ?? undefined), align: 'right' },
    { header: 'P95', get: (g) => fmtDuration(g.duration_ms.p95 ?? undefined), align: 'right' },
    { header: 'FAILURES', get: (g) => top(g.failures_by_code), flex: true },
  ];
  const rows = [...result.groups.map((g) => ({ ...g, label: g.key ?? '(none)' })), { ...result.total, label: 'TOTAL' }];
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : 160;
  const lines = table(rows, columns, width);
  const t = result.total;
  // Stored names reach the terminal through clean(), as every CLI output does.
  lines.push(
    '',
    clean(`failures by category (sessions): ${top(t.failures_by_category, 4)}`),
    clean(`failures by code (sessions): ${top(t.failures_by_code, 8)}`),
    clean(`failed tools (sessions): ${top(t.failed_tools, 8)}`),
  );
  await write(process.stdout, `${lines.join('\n')}\n`);
  return EXIT_OK;
}
