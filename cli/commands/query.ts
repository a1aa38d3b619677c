import { Command } from 'commander';
import { sessionOf } from '../../src/query/lookup.js';
import { readAllIndex } from '../../src/query/scan.js';
import { EVENT_SQL_COLUMNS, eventRows, SESSION_SQL_COLUMNS, sessionRow } from '../../src/query/sql-rows.js';
import { loadSqlEngine, SqlError, SqlSession } from '../../src/query/sql.js';
import type { SqlResult, SqlTable } from '../../src/query/sql.js';
import type { StoreReader } from '../../src/query/reader.js';
import type { Session, SessionIndexEntry } from '../../src/session/types.js';
import { addStorageOptions, EXIT_OK, EXIT_USAGE, readerFor, reportSkipped, UsageError, write } from '../common.js';
import type { CliContext, Values } from '../common.js';
import { clean, table, toJson } from '../format.js';
import type { Column } from '../format.js';

const EXAMPLE = `SELECT agent_version, count(*) AS sessions, sum(cost_usd) AS cost FROM sessions GROUP BY 1`;

export function queryCommand(ctx: CliContext): Command {
  const cmd = new Command('query')
    .alias('sql')
    .summary('SQL over the sessions with DuckDB (optional package @duckdb/node-api)')
    .description(
      'Answers SQL over the sessions with DuckDB in process: a `sessions` table (one row per session, the index entries flattened; docs/query.md lists the columns) and, with --full, an `events` table (one row per event of the full documents). Needs the optional package: npm install @duckdb/node-api. A SQL error exits 2.',
    )
    .addHelpText('after', `\nExample:\n  ams query "${EXAMPLE}"`)
    .argument('<sql>', 'the SQL to run (quote it)')
    .option('--full', 'also read every full document into an `events` table (one read per session: slower)')
    .option('--json', 'print a JSON array of row objects')
    .option('--csv', 'print CSV (a header line, then the rows)');
  addStorageOptions(cmd);
  return cmd.action(async (sql: string, opts: Values) => {
    ctx.code = await query(cmd, ctx, opts, sql);
  });
}

/** Sessions' full documents read at once (--full). */
const FULL_PARALLEL = 16;

async function query(cmd: Command, ctx: CliContext, v: Values, sql: string): Promise<number> {
  if (v.json && v.csv) throw new UsageError('--json and --csv are two outputs; give one');
  if (sql.trim() === '') throw new UsageError(`the SQL is empty; for example: ams query "${EXAMPLE}"`);
  await loadSqlEngine();
  const reader = await readerFor(cmd, ctx);
  const skipped = reportSkipped('query');
  // The storage keeps each session's highest revision (both index layouts): one row per session.
  const entries = await readAllIndex(reader, undefined, skipped);
  const tables: SqlTable[] = [{ name: 'sessions', columns: SESSION_SQL_COLUMNS, rows: entries.map(sessionRow) }];
  if (v.full) tables.push({ name: 'events', columns: EVENT_SQL_COLUMNS, rows: (await readDocuments(reader, entries, skipped)).flatMap(eventRows) });
  const db = await SqlSession.open(tables);
  let result: SqlResult;
  try {
    result = await db.query(sql);
  } catch (err) {
    if (!(err instanceof SqlError)) throw err;
    const hint = /Table with name events does not exist/i.test(err.message) && !v.full ? '\n(the events table needs --full)' : '';
    process.stderr.write(`ams query: SQL error: ${clean(err.message, true)}${hint}\n`);
    return EXIT_USAGE;
  } finally {
    db.close();
  }
  if (v.json) await write(process.stdout, `${toJson(jsonRows(result), 2)}\n`);
  else if (v.csv) await write(process.stdout, csv(result));
  else {
    await write(process.stdout, `${tableOf(result).join('\n')}\n`);
    process.stderr.write(`${result.rows.length} row${result.rows.length === 1 ? '' : 's'}\n`);
  }
  return EXIT_OK;
}

/** The full documents of `entries`, a few at a time; one that is missing or unreadable is reported and skipped. */
async function readDocuments(reader: StoreReader, entries: readonly SessionIndexEntry[], skipped: (object: string, problem: string) => void): Promise<Session[]> {
  const out: Session[] = [];
  for (let i = 0; i < entries.length; i += FULL_PARALLEL) {
    const batch = entries.slice(i, i + FULL_PARALLEL);
    const docs = await Promise.all(
      batch.map(async (e) => {
        try {
          const doc = await sessionOf(reader, e);
          if (!doc || !Array.isArray(doc.events)) skipped(e.key, doc ? 'not a session document (no events)' : 'the session document is missing');
          return doc && Array.isArray(doc.events) ? doc : undefined;
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          skipped(e.key, `not valid JSON (${err.message})`);
          return undefined;
        }
      }),
    );
    for (const d of docs) if (d) out.push(d);
  }
  return out;
}

const isJsonType = (type: string) => type === 'JSON';
const isNumericType = (type: string) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(type);

/** JSON-typed values (metadata) parsed back into JSON; the rest as they are. */
function jsonRows(r: SqlResult): Record<string, unknown>[] {
  return r.rows.map((row) => {
    const o: Record<string, unknown> = {};
    r.columns.forEach((c, i) => {
      const v = row[i];
      o[c] = isJsonType(r.types[i]!) && typeof v === 'string' ? parseOr(v) : v;
    });
    return o;
  });
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A value as text: null is empty (CSV) or NULL (table), lists and structs as JSON, floats without binary noise. */
function cellText(v: unknown, nullText: string): string {
  if (v === null || v === undefined) return nullText;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  return toJson(v);
}

/** Widest a table cell gets (longer ones are cut with an ellipsis; --json and --csv keep them whole). */
const MAX_CELL = 80;

function tableOf(r: SqlResult): string[] {
  const columns: Column<unknown[]>[] = r.columns.map((header, i) => ({
    header,
    get: (row) => cellText(row[i], 'NULL'),
    align: isNumericType(r.types[i]!) ? 'right' : 'left',
    max: Math.max(MAX_CELL, header.length),
  }));
  return table(r.rows, columns);
}

function csvField(text: string): string {
  const s = clean(text, true);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(r: SqlResult): string {
  const lines = [r.columns.map(csvField).join(',')];
  for (const row of r.rows) lines.push(row.map((v) => csvField(cellText(v, ''))).join(','));
  return `${lines.join('\n')}\n`;
}
