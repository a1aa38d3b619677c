/** Flags every reading command shares: where the sessions are, and how to filter them. */
import type { ParseArgsConfig } from 'node:util';
import type { Env } from '../src/config/env.js';
import { parseFilter } from '../src/query/filter.js';
import type { SessionFilter } from '../src/query/filter.js';
import { readerFromEnv } from '../src/query/reader.js';
import type { StoreReader } from '../src/query/reader.js';

/** Exit codes: 0 done, 1 failed or not found, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

/** Storage flags, each an override of the environment variable the library reads. */
export const STORAGE_FLAGS: Record<string, string> = {
  storage: 'AMS_STORAGE',
  dir: 'AMS_LOCAL_DIR',
  's3-bucket': 'AMS_S3_BUCKET',
  's3-prefix': 'AMS_S3_PREFIX',
  's3-endpoint': 'AMS_S3_ENDPOINT_URL',
  's3-region': 'AMS_S3_REGION',
};

export const STORAGE_HELP = `Storage (flags win over the environment; default ./ams-data):
  --dir <path>            AMS_LOCAL_DIR        local folder
  --storage local|s3      AMS_STORAGE
  --s3-bucket <name>      AMS_S3_BUCKET        (credentials: the standard AWS chain)
  --s3-prefix <prefix>    AMS_S3_PREFIX        (default ams)
  --s3-endpoint <url>     AMS_S3_ENDPOINT_URL  R2 / MinIO / any S3-compatible server
  --s3-region <region>    AMS_S3_REGION`;

export const FILTER_HELP = `Filters:
  --agent <name>          agent name
  --env <name>            environment
  --tag <tag>             has this tag (repeat: all of them)
  --status <s>            ok | error | incomplete (repeat or comma-separate: any of them)
  --model <prefix>        main model, by prefix (claude-sonnet matches claude-sonnet-4-5)
  --since <time>          started at or after: ISO date/time, or a duration back (30m, 2h, 7d)
  --until <time>          started before
  --min-cost <usd>        total cost at least this
  -q, --search <words>    words in the prompt preview, ids, agent or tags (also: trailing words)`;

type Options = NonNullable<ParseArgsConfig['options']>;

export const storageOptions: Options = Object.fromEntries(Object.keys(STORAGE_FLAGS).map((k) => [k, { type: 'string' as const }]));

export const filterOptions: Options = {
  agent: { type: 'string' },
  env: { type: 'string' },
  tag: { type: 'string', multiple: true },
  status: { type: 'string', multiple: true },
  model: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'min-cost': { type: 'string' },
  search: { type: 'string', short: 'q' },
};

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function str(v: Values[string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strs(v: Values[string]): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;
}

/** The environment with storage flags applied. */
export function envWithFlags(values: Values, env: Env): Env {
  const merged: Env = { ...env };
  for (const [flag, name] of Object.entries(STORAGE_FLAGS)) {
    const v = str(values[flag]);
    if (v !== undefined) merged[name] = v;
  }
  return merged;
}

export function readerFor(values: Values, env: Env): Promise<StoreReader> {
  return readerFromEnv(envWithFlags(values, env));
}

/** The filter from flags (plus trailing words as text search). */
export function filterFrom(values: Values, words: string[] = []): SessionFilter {
  return parseFilter({
    agent: str(values.agent),
    env: str(values.env),
    tag: strs(values.tag),
    status: strs(values.status),
    model: str(values.model),
    since: str(values.since),
    until: str(values.until),
    'min-cost': str(values['min-cost']),
    q: [str(values.search), ...words].filter((s): s is string => !!s).join(' ') || undefined,
  });
}

export function intFlag(values: Values, name: string, fallback: number): number {
  const raw = str(values[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer; got "${raw}"`);
  return n;
}

/** Writes to stdout and resolves when the data is handed off (backpressure). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', resolve);
  });
}
