import * as sc from '../spans/semconv.js';
import type { FailureCategory, Session, SessionEvent, SessionIndexEntry } from './types.js';

/** How much of the first prompt the index keeps for listings and text search. */
export const PROMPT_PREVIEW_CHARS = 240;

function firstPrompt(events: SessionEvent[]): string | undefined {
  for (const e of events) if (e.type === 'user_prompt' && !e.synthetic) return e.prompt;
  for (const e of events) if (e.type === 'user_prompt') return e.prompt;
  return undefined;
}

/** Most names the index keeps in each failure list (failed_tools, failure_codes), and their longest. */
export const MAX_FAILURE_LIST = 20;
export const MAX_FAILURE_NAME = 128;

/** The step kind (sc.AMS_STEP_KIND) whose failure is a retrieval failure. */
const RETRIEVAL_KIND = 'retrieval';

interface FailureSummary {
  failed_tools: string[];
  failure_categories: FailureCategory[];
  failure_codes: string[];
}

/** Distinct values in order of first occurrence, at most MAX_FAILURE_LIST, each cut short. */
class Distinct<T extends string> {
  readonly list: T[] = [];
  add(value: T): void {
    const v = (value.length > MAX_FAILURE_NAME ? value.slice(0, MAX_FAILURE_NAME) : value) as T;
    if (v !== '' && this.list.length < MAX_FAILURE_LIST && !this.list.includes(v)) this.list.push(v);
  }
}

function failedEvent(e: SessionEvent): boolean {
  switch (e.type) {
    case 'llm_message':
      return !!e.error;
    case 'tool_call':
    case 'subagent':
    case 'step':
      return e.status === 'error';
    default:
      return false;
  }
}

/** True when something inside failed on its own (a failed call or a failure event). */
function failedInside(events: SessionEvent[] | undefined): boolean {
  for (const e of events ?? []) {
    if (e.type === 'failure' || failedEvent(e)) return true;
    if ((e.type === 'subagent' || e.type === 'step') && failedInside(e.events)) return true;
  }
  return false;
}

/**
 * What failed in a session, for the index: the failed tools' names, and the categories and codes
 * of the failures. A `failure` event describes the span it was recorded on; a failed call no
 * failure event describes adds the category its kind implies and its error type as code. A step
 * or subagent that failed because something inside it did adds nothing of its own (the error is
 * counted where it happened).
 */
export function failureSummary(events: SessionEvent[]): FailureSummary {
  const tools = new Distinct<string>();
  const categories = new Distinct<FailureCategory>();
  const codes = new Distinct<string>();
  const described = new Set<string>();
  const collect = (list: SessionEvent[]): void => {
    for (const e of list) {
      if (e.type === 'failure' && e.span_id) described.add(e.span_id);
      if ((e.type === 'subagent' || e.type === 'step') && e.events) collect(e.events);
    }
  };
  collect(events);
  const walk = (list: SessionEvent[]): void => {
    for (const e of list) {
      if (e.type === 'failure') {
        categories.add(e.category);
        codes.add(e.code);
        continue;
      }
      if (failedEvent(e)) {
        if (e.type === 'tool_call') tools.add(e.name);
        const own = e.span_id === undefined || !described.has(e.span_id);
        const container = e.type === 'subagent' || e.type === 'step';
        if (own && !(container && failedInside(e.events))) {
          const category: FailureCategory =
            e.type === 'tool_call' ? 'tool' : e.type === 'llm_message' ? 'model' : e.type === 'step' && e.attributes[sc.AMS_STEP_KIND] === RETRIEVAL_KIND ? 'retrieval' : 'orchestration';
          categories.add(category);
          codes.add(('error_type' in e && e.error_type) || 'error');
        }
      }
      if ((e.type === 'subagent' || e.type === 'step') && e.events) walk(e.events);
    }
  };
  walk(events);
  return { failed_tools: tools.list, failure_categories: categories.list, failure_codes: codes.list };
}

/** The small projection written to `{prefix}/index/{id}.json`. */
export function toIndexEntry(session: Session, key: string): SessionIndexEntry {
  const entry: SessionIndexEntry = {
    schema_version: session.schema_version,
    id: session.id,
    trace_id: session.trace_id,
    revision: session.revision,
    status: session.status,
    agent: session.agent,
    tags: session.tags,
    metadata: session.metadata,
    started_at: session.started_at,
    ended_at: session.ended_at,
    totals: session.totals,
    key,
    errors: session.totals.errors,
    ...failureSummary(session.events),
  };
  if (session.conversation_id) entry.conversation_id = session.conversation_id;
  if (session.environment) entry.environment = session.environment;
  if (session.model) entry.model = session.model;
  const prompt = firstPrompt(session.events);
  if (prompt !== undefined) {
    const flat = prompt.replace(/\s+/g, ' ').trim();
    entry.prompt_preview = flat.length > PROMPT_PREVIEW_CHARS ? `${flat.slice(0, PROMPT_PREVIEW_CHARS - 1)}…` : flat;
  }
  return entry;
}
