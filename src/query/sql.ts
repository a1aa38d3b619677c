/**
 * SQL over the sessions, with DuckDB in process (`ams query`). DuckDB (`@duckdb/node-api`) is an
 * optional dependency, imported only here, on first use. The rows come from our own storage
 * reader (a local folder or S3 through the AWS SDK), so DuckDB needs no extension of its own:
 * they are written to a temporary NDJSON file and loaded with read_json, columns typed as
 * sql-rows.ts lists them.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { optionalDependency } from '../storage/optional-dependency.js';
import type { SqlColumn } from './sql-rows.js';

const loadDuckDb = optionalDependency('@duckdb/node-api', 'ams query', () => import('@duckdb/node-api'));

type DuckDb = Awaited<ReturnType<typeof loadDuckDb>>;
type Connection = Awaited<ReturnType<Awaited<ReturnType<DuckDb['DuckDBInstance']['create']>>['connect']>>;

/** DuckDB refused the SQL it was given (syntax, unknown table or column, a type error...). */
export class SqlError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SqlError';
  }
}

/** A query's answer: column names, their DuckDB types, and the rows as plain JSON-able values. */
export interface SqlResult {
  columns: string[];
  types: string[];
  rows: unknown[][];
}

/** One table to load: its name, its columns, and its rows (objects keyed by column name). */
export interface SqlTable {
  name: string;
  columns: readonly SqlColumn[];
  rows: Iterable<Record<string, unknown>>;
}

/** A DuckDB value as plain JSON: BIGINT/HUGEINT as numbers when exact (else strings), times as ISO text. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainValue(x);
    return out;
  }
  return v;
}

/** Rows per write to the temporary NDJSON file. */
const WRITE_CHUNK = 2000;

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** An in-memory DuckDB with the given tables loaded; `query` answers SQL over them. */
export class SqlSession {
  private constructor(
    private readonly connection: Connection,
    private readonly done: () => void,
  ) {}

  /** Opens DuckDB (a MissingDependencyError when @duckdb/node-api is not installed) and loads `tables`. */
  static async open(tables: readonly SqlTable[]): Promise<SqlSession> {
    const duckdb = await loadDuckDb();
    // No extension is fetched from the network: a query that needs one fails at once, offline too.
    const instance = await duckdb.DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
    const connection = await instance.connect();
    const session = new SqlSession(connection, () => {
      connection.closeSync();
      instance.closeSync();
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ams-query-'));
    try {
      for (const t of tables) await session.load(dir, t);
    } catch (err) {
      session.close();
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return session;
  }

  private async load(dir: string, table: SqlTable): Promise<void> {
    const file = path.join(dir, `${table.name}.ndjson`);
    let count = 0;
    const out = await open(file, 'w');
    try {
      // Written a chunk at a time: 100,000 rows never sit in memory as one string.
      let chunk: string[] = [];
      for (const row of table.rows) {
        chunk.push(JSON.stringify(row));
        count += 1;
        if (chunk.length === WRITE_CHUNK) {
          await out.write(`${chunk.join('\n')}\n`);
          chunk = [];
        }
      }
      if (chunk.length) await out.write(`${chunk.join('\n')}\n`);
    } finally {
      await out.close();
    }
    const columns = table.columns.map((c) => `${quoteText(c.name)}: ${quoteText(c.type)}`).join(', ');
    const select = count
      ? `SELECT * FROM read_json(${quoteText(file)}, format = 'newline_delimited', columns = {${columns}})`
      : `SELECT ${table.columns.map((c) => `NULL::${c.type} AS ${quoteIdent(c.name)}`).join(', ')} LIMIT 0`;
    await this.connection.run(`CREATE TABLE ${quoteIdent(table.name)} AS ${select}`);
  }

  /** Runs `sql`; DuckDB's refusal becomes a SqlError carrying its message. */
  async query(sql: string): Promise<SqlResult> {
    let reader;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (err) {
      throw new SqlError((err as Error).message, { cause: err });
    }
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowsJS().map((row) => row.map(plainValue)),
    };
  }

  close(): void {
    this.done();
  }
}

/** Loads DuckDB now (a MissingDependencyError when it is not installed), before any slow reading. */
export async function loadSqlEngine(): Promise<void> {
  await loadDuckDb();
}
