import type { Session, SessionEvent, SessionIndexEntry } from './types.js';

/** How much of the first prompt the index keeps for listings and text search. */
export const PROMPT_PREVIEW_CHARS = 240;

function firstPrompt(events: SessionEvent[]): string | undefined {
  for (const e of events) if (e.type === 'user_prompt' && !e.synthetic) return e.prompt;
  for (const e of events) if (e.type === 'user_prompt') return e.prompt;
  return undefined;
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
