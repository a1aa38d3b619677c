/**
 * ConsoleSink: a SessionStorage that prints a compact summary of each session as it completes
 * (one line, plus one per failure), or the whole document with `format: 'json'`. For local runs
 * and tests; pair it with real storage through fanOut().
 */
import type { Session, SessionEvent } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';

export interface ConsoleSinkOptions {
  /** Where text goes (default process.stdout). Each call gets whole lines ending in "\n". */
  write?(text: string): void;
  /** 'summary' (default) or 'json' (the full document, pretty-printed). */
  format?: 'summary' | 'json';
  /** ANSI colours; default: when writing to a TTY stdout. */
  color?: boolean;
  /** Longest prompt preview in the summary (default 80). */
  maxPromptLength?: number;
}

const ICON: Record<Session['status'], string> = { ok: '✓', error: '✗', incomplete: '…' };
const COLOR: Record<Session['status'], string> = { ok: '\u001b[32m', error: '\u001b[31m', incomplete: '\u001b[33m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

function walk(events: SessionEvent[], visit: (e: SessionEvent) => void): void {
  for (const e of events) {
    visit(e);
    if ((e.type === 'subagent' || e.type === 'step') && e.events) walk(e.events, visit);
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** The one-line summary (plus failure lines) ConsoleSink prints; exported for custom sinks. */
export function summarizeSession(session: Session, options: { color?: boolean; maxPromptLength?: number } = {}): string {
  const c = options.color === true;
  const t = session.totals;
  let prompt: string | undefined;
  const failures: string[] = [];
  walk(session.events, (e) => {
    if (e.type === 'user_prompt' && prompt === undefined) prompt = e.prompt;
    if (e.type === 'failure') failures.push(`${e.category}/${e.code}${e.step ? ` in ${e.step}` : ''}${e.attempt ? ` (attempt ${e.attempt})` : ''}${e.message ? `: ${e.message}` : ''}`);
  });
  const max = options.maxPromptLength ?? 80;
  const parts = [
    `${c ? COLOR[session.status] : ''}${ICON[session.status]} ${session.status}${c ? RESET : ''}`,
    `${session.agent.name}${session.environment ? ` (${session.environment})` : ''}`,
    seconds(t.duration_ms),
    `${t.turns} llm`,
    `${t.tool_calls} tool${t.tool_calls === 1 ? '' : 's'}`,
  ];
  if (t.subagents) parts.push(`${t.subagents} subagent${t.subagents === 1 ? '' : 's'}`);
  if (t.errors) parts.push(`${t.errors} error${t.errors === 1 ? '' : 's'}`);
  if (failures.length) parts.push(`${failures.length} failure${failures.length === 1 ? '' : 's'}`);
  parts.push(`${t.input_tokens}→${t.output_tokens} tok`);
  if (t.cost_usd) parts.push(`$${t.cost_usd.toFixed(4)}`);
  if (session.model) parts.push(session.model);
  if (prompt) {
    const flat = prompt.replace(/\s+/g, ' ').trim();
    parts.push(JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat));
  }
  parts.push(`${c ? DIM : ''}id ${session.id}${c ? RESET : ''}`);
  const lines = [`[ams] ${parts.join(' · ')}`];
  if (session.status !== 'ok' && session.status_reason) lines.push(`      reason: ${session.status_reason}`);
  for (const f of failures) lines.push(`      failure ${f}`);
  return lines.join('\n');
}

export class ConsoleSink implements SessionStorage {
  private readonly write: (text: string) => void;
  private readonly options: ConsoleSinkOptions;

  constructor(options: ConsoleSinkOptions = {}) {
    this.options = options;
    this.write = options.write ?? ((text) => void process.stdout.write(text));
  }

  async putSession(session: Session): Promise<string> {
    const color = this.options.color ?? (this.options.write === undefined && process.stdout.isTTY === true);
    const text = this.options.format === 'json' ? JSON.stringify(session, null, 2) : summarizeSession(session, { color, maxPromptLength: this.options.maxPromptLength });
    this.write(`${text}\n`);
    return `console:${session.id}`;
  }
}
