/**
 * The flat rows `ams query` loads into DuckDB: one per index entry (the `sessions` view) and, with
 * `--full`, one per event of the full documents (the `events` view). The column lists here are the
 * one place their names and SQL types are written (docs/query.md describes them). Unknown values
 * stay null, never 0: a session without a known cost has cost_usd NULL, and SUM over NULLs is NULL.
 */
import type { Session, SessionEvent, SessionIndexEntry } from '../session/types.js';

export interface SqlColumn {
  name: string;
  /** The DuckDB type (read_json's `columns`). */
  type: string;
}

/** The `sessions` view's columns, in order. */
export const SESSION_SQL_COLUMNS: readonly SqlColumn[] = [
  { name: 'id', type: 'VARCHAR' },
  { name: 'trace_id', type: 'VARCHAR' },
  { name: 'conversation_id', type: 'VARCHAR' },
  { name: 'revision', type: 'INTEGER' },
  { name: 'status', type: 'VARCHAR' },
  { name: 'agent_name', type: 'VARCHAR' },
  { name: 'agent_version', type: 'VARCHAR' },
  { name: 'environment', type: 'VARCHAR' },
  { name: 'model', type: 'VARCHAR' },
  { name: 'started_at', type: 'TIMESTAMP' },
  { name: 'ended_at', type: 'TIMESTAMP' },
  { name: 'duration_ms', type: 'DOUBLE' },
  { name: 'api_duration_ms', type: 'DOUBLE' },
  { name: 'input_tokens', type: 'BIGINT' },
  { name: 'output_tokens', type: 'BIGINT' },
  { name: 'cache_read_input_tokens', type: 'BIGINT' },
  { name: 'cache_creation_input_tokens', type: 'BIGINT' },
  { name: 'cost_usd', type: 'DOUBLE' },
  { name: 'cost_partial', type: 'BOOLEAN' },
  { name: 'turns', type: 'INTEGER' },
  { name: 'tool_calls', type: 'INTEGER' },
  { name: 'subagents', type: 'INTEGER' },
  { name: 'errors', type: 'INTEGER' },
  { name: 'failed_tools', type: 'VARCHAR[]' },
  { name: 'failure_categories', type: 'VARCHAR[]' },
  { name: 'failure_codes', type: 'VARCHAR[]' },
  { name: 'tags', type: 'VARCHAR[]' },
  { name: 'metadata', type: 'JSON' },
  { name: 'prompt_preview', type: 'VARCHAR' },
  { name: 'key', type: 'VARCHAR' },
];

/** The `events` view's columns (--full): every event of every session, nested ones with their parent. */
export const EVENT_SQL_COLUMNS: readonly SqlColumn[] = [
  { name: 'session_id', type: 'VARCHAR' },
  { name: 'seq', type: 'INTEGER' },
  { name: 'parent_seq', type: 'INTEGER' },
  { name: 'depth', type: 'INTEGER' },
  { name: 'type', type: 'VARCHAR' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'model', type: 'VARCHAR' },
  { name: 'status', type: 'VARCHAR' },
  { name: 'error', type: 'VARCHAR' },
  { name: 'error_type', type: 'VARCHAR' },
  { name: 'started_at', type: 'TIMESTAMP' },
  { name: 'duration_ms', type: 'DOUBLE' },
  { name: 'input_tokens', type: 'BIGINT' },
  { name: 'output_tokens', type: 'BIGINT' },
  { name: 'cost_usd', type: 'DOUBLE' },
];

type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** One `sessions` row. Fields an older entry lacks are null (the failure lists: empty). */
export function sessionRow(e: SessionIndexEntry): Row {
  const t = (e.totals ?? {}) as Partial<SessionIndexEntry['totals']>;
  return {
    id: e.id,
    trace_id: str(e.trace_id),
    conversation_id: str(e.conversation_id),
    revision: num(e.revision),
    status: str(e.status),
    agent_name: str(e.agent?.name),
    agent_version: str(e.agent?.version),
    environment: str(e.environment),
    model: str(e.model),
    started_at: str(e.started_at),
    ended_at: str(e.ended_at),
    duration_ms: num(t.duration_ms),
    api_duration_ms: num(t.api_duration_ms),
    input_tokens: num(t.input_tokens),
    output_tokens: num(t.output_tokens),
    cache_read_input_tokens: num(t.cache_read_input_tokens),
    cache_creation_input_tokens: num(t.cache_creation_input_tokens),
    cost_usd: num(t.cost_usd),
    cost_partial: t.cost_partial === true,
    turns: num(t.turns),
    tool_calls: num(t.tool_calls),
    subagents: num(t.subagents),
    errors: num(e.errors) ?? num(t.errors),
    failed_tools: strList(e.failed_tools),
    failure_categories: strList(e.failure_categories),
    failure_codes: strList(e.failure_codes),
    tags: strList(e.tags),
    metadata: e.metadata && typeof e.metadata === 'object' ? e.metadata : null,
    prompt_preview: str(e.prompt_preview),
    key: str(e.key),
  };
}

function eventName(e: SessionEvent): string | null {
  const r = e as unknown as Row;
  return str(r.name) ?? str(r.agent_type) ?? null;
}

function eventError(e: SessionEvent): string | null {
  const r = e as unknown as Row;
  return str(r.error) ?? (e.type === 'failure' ? str(r.message) : null);
}

/** The `events` rows of one session, depth first; `seq` numbers them within the session. */
export function eventRows(session: Session): Row[] {
  const out: Row[] = [];
  const walk = (events: readonly SessionEvent[] | undefined, parent: number | null, depth: number): void => {
    for (const e of events ?? []) {
      const r = e as unknown as Row;
      const usage = (r.usage ?? {}) as Row;
      const seq = out.length;
      out.push({
        session_id: session.id,
        seq,
        parent_seq: parent,
        depth,
        type: str(r.type),
        name: eventName(e),
        model: str(r.model),
        status: str(r.status) ?? (e.type === 'llm_message' ? (r.error ? 'error' : 'ok') : null),
        error: eventError(e),
        error_type: str(r.error_type) ?? str(r.code),
        started_at: str(r.started_at) ?? str(r.at),
        duration_ms: num(r.duration_ms),
        input_tokens: num(usage.input_tokens),
        output_tokens: num(usage.output_tokens),
        cost_usd: num(r.cost_usd),
      });
      if (Array.isArray(r.events)) walk(r.events as SessionEvent[], seq, depth + 1);
    }
  };
  walk(session.events, null, 0);
  return out;
}
