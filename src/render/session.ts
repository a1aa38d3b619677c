/**
 * The one text renderer for a session document, in two sizes:
 * - renderTree(): the readable tree `ams show` and the demos print. One line per thing that
 *   happened, nested under the subagent that did it; long content is cut (with how much was cut)
 *   unless `full`.
 * - summarizeSession(): the one-line summary (plus failure lines) ConsoleSink prints.
 * Pure functions of the document: no I/O, so the CLI, sinks and demos share them.
 */
import type { JsonValue, Session, SessionEvent } from '../session/types.js';
import { clean, cut, fmtCost, fmtDuration, fmtTime, fmtTokens } from './text.js';

export interface TreeOptions {
  /** Show thinking in full (default: folded to one line). */
  thinking?: boolean;
  /** Do not cut long text. */
  full?: boolean;
  /** Characters kept of long text (default 240). */
  width?: number;
}

function json(v: JsonValue | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderTree(s: Session, o: TreeOptions = {}): string[] {
  const max = o.full ? 0 : (o.width ?? 240);
  const text = (v: string, n = max) => cut(clean(v), n, true);
  const out: string[] = [];
  const t = s.totals;
  const agent = `${s.agent.name}${s.agent.version ? ` ${s.agent.version}` : ''}`;
  out.push(clean(`session ${s.id}  ${s.status.toUpperCase()}${s.status_reason ? ` (${s.status_reason})` : ''}${s.revision > 1 ? `  rev ${s.revision}` : ''}`));
  out.push(clean(`agent ${agent}${s.environment ? ` · env ${s.environment}` : ''}${s.model ? ` · model ${s.model}` : ''}${s.service ? ` · service ${s.service}` : ''}`));
  out.push(clean(`started ${fmtTime(s.started_at)} · ${fmtDuration(t.duration_ms)} · trace ${s.trace_id}${s.conversation_id ? ` · conversation ${s.conversation_id}` : ''}`));
  const meta = Object.entries(s.metadata ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  if (s.tags.length || meta.length) out.push(clean(`${s.tags.length ? `tags ${s.tags.join(', ')}` : ''}${s.tags.length && meta.length ? ' · ' : ''}${meta.length ? `metadata ${meta.join(' ')}` : ''}`));
  if (s.system_prompt) out.push(`system ${text(s.system_prompt)}`);
  out.push('');

  const walk = (events: SessionEvent[], pad: string): void => {
    for (const e of events) {
      switch (e.type) {
        case 'user_prompt':
          out.push(`${pad}> ${text(e.prompt)}${e.synthetic ? '  (synthetic)' : ''}`);
          break;
        case 'llm_message': {
          const u = e.usage;
          const status = e.error ? `  ✗ ${text(e.error, 120)}` : '';
          out.push(
            clean(`${pad}● ${e.model ?? 'model'}  ${fmtDuration(e.duration_ms)}  ${u ? `${fmtTokens(u.input_tokens)} in / ${fmtTokens(u.output_tokens)} out${u.cache_read_input_tokens ? ` (${fmtTokens(u.cache_read_input_tokens)} cached)` : ''}` : 'tokens unknown'}${e.cost_usd !== undefined ? `  ${fmtCost(e.cost_usd)}` : ''}`) + status,
          );
          if (e.thinking) {
            out.push(
              o.thinking
                ? `${pad}  thinking: ${o.full ? clean(e.thinking) : text(e.thinking, 2000)}`
                : `${pad}  thinking: ${cut(clean(e.thinking), 60)} (${e.thinking.length} chars; --thinking to unfold)`,
            );
          } else if (e.thinking_redacted) out.push(`${pad}  thinking: (withheld by the producer)`);
          if (e.text) out.push(`${pad}  "${text(e.text)}"`);
          if (e.tool_uses?.length) out.push(clean(`${pad}  → ${e.tool_uses.map((u) => u.name).join(', ')}`));
          break;
        }
        case 'tool_call': {
          const mark = e.status === 'ok' ? '✓' : e.status === 'error' ? '✗' : '⊘';
          const permission = e.permission_decision ? `  ${e.permission_decision}${e.permission_source ? ` by ${e.permission_source}` : ''}${typeof e.blocked_ms === 'number' ? `, waited ${fmtDuration(e.blocked_ms)}` : ''}` : '';
          out.push(clean(`${pad}${mark} ${e.name}${e.mcp_server ? ` (mcp ${e.mcp_server})` : ''}  ${e.status}  ${fmtDuration(e.duration_ms)}${permission}`) + (e.input !== undefined ? `  ${text(json(e.input), o.full ? 0 : 160)}` : ''));
          if (e.error) out.push(`${pad}    error: ${text(e.error)}`);
          if (e.result !== undefined && e.result !== null && json(e.result) !== '') out.push(`${pad}    ⤷ ${text(json(e.result))}`);
          break;
        }
        case 'subagent':
          out.push(clean(`${pad}↳ subagent ${e.agent_type ?? e.name ?? 'agent'}${e.agent_id ? ` (${e.agent_id})` : ''}  ${e.status}  ${fmtDuration(e.duration_ms)}`));
          if (e.why) out.push(`${pad}│ why: ${text(e.why)}`);
          else if (e.description) out.push(`${pad}│ why: ${text(e.description)}`);
          if (e.error) out.push(`${pad}│ error: ${text(e.error)}`);
          walk(e.events, `${pad}│ `);
          break;
        case 'notification':
          out.push(`${pad}! ${e.kind ? `${clean(e.kind)}: ` : ''}${text(e.message)}`);
          break;
        case 'failure':
          out.push(clean(`${pad}✗ failure ${e.category}/${e.code}${e.step ? ` in ${e.step}` : ''}${e.attempt !== undefined ? ` (attempt ${e.attempt})` : ''}`) + (e.message ? `: ${text(e.message, 160)}` : ''));
          break;
        case 'step':
          out.push(clean(`${pad}- ${e.name}  ${e.status}  ${fmtDuration(e.duration_ms)}`) + (e.error ? `  ${text(e.error, 120)}` : ''));
          if (e.events?.length) walk(e.events, `${pad}  `);
          break;
      }
    }
  };
  walk(s.events, '');

  out.push('');
  out.push(
    `totals: ${t.turns} turns · ${t.tool_calls} tool calls · ${t.subagents} subagents · ${t.errors} errors · ` +
      `${fmtTokens(t.input_tokens)} in / ${fmtTokens(t.output_tokens)} out tokens` +
      `${t.cache_read_input_tokens ? ` (${fmtTokens(t.cache_read_input_tokens)} cache read)` : ''} · ${fmtCost(t.cost_usd, t.cost_partial)}` +
      `${t.cost_usd === null ? ' (cost unknown)' : t.cost_partial ? ' (some model calls had no cost)' : ''}` +
      `${t.sources?.cost_usd && t.sources.cost_usd !== 'events' ? ` (cost from ${t.sources.cost_usd})` : ''} · ${fmtDuration(t.duration_ms)}`,
  );
  for (const [model, u] of Object.entries(s.models ?? {})) {
    out.push(clean(`  ${model}: ${fmtTokens(u.input_tokens)} in / ${fmtTokens(u.output_tokens)} out · ${fmtCost(u.cost_usd, u.cost_partial)}`));
  }
  if (s.spans?.dropped) out.push(`spans: ${s.spans.kept} kept, ${s.spans.dropped} dropped`);
  return out;
}

const ICON: Record<Session['status'], string> = { ok: '✓', error: '✗', incomplete: '…' };
const COLOR: Record<Session['status'], string> = { ok: '\u001b[32m', error: '\u001b[31m', incomplete: '\u001b[33m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

function visitAll(events: SessionEvent[], visit: (e: SessionEvent) => void): void {
  for (const e of events) {
    visit(e);
    if ((e.type === 'subagent' || e.type === 'step') && e.events) visitAll(e.events, visit);
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
  visitAll(session.events, (e) => {
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
  // Unknown cost (null) is left out rather than shown as $0.
  if (t.cost_usd !== null) parts.push(`$${t.cost_usd.toFixed(4)}${t.cost_partial ? '+' : ''}`);
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
