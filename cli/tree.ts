/**
 * `ams show`: a session as a readable tree. One line per thing that happened, nested under the
 * subagent that did it; long content is cut (with how much was cut) unless --full.
 */
import type { JsonValue, Session, SessionEvent } from '../src/session/types.js';
import { clean, cut, fmtCost, fmtDuration, fmtTime, fmtTokens } from './format.js';

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
            clean(`${pad}● ${e.model ?? 'model'}  ${fmtDuration(e.duration_ms)}  ${fmtTokens(u.input_tokens)} in / ${fmtTokens(u.output_tokens)} out${u.cache_read_input_tokens ? ` (${fmtTokens(u.cache_read_input_tokens)} cached)` : ''}${e.cost_usd !== undefined ? `  ${fmtCost(e.cost_usd)}` : ''}`) + status,
          );
          if (e.thinking) {
            out.push(
              o.thinking
                ? `${pad}  thinking: ${o.full ? clean(e.thinking) : text(e.thinking, 2000)}`
                : `${pad}  thinking: ${cut(clean(e.thinking), 60)} (${e.thinking.length} chars; --thinking to unfold)`,
            );
          }
          if (e.text) out.push(`${pad}  "${text(e.text)}"`);
          if (e.tool_uses?.length) out.push(clean(`${pad}  → ${e.tool_uses.map((u) => u.name).join(', ')}`));
          break;
        }
        case 'tool_call': {
          const mark = e.status === 'ok' ? '✓' : e.status === 'error' ? '✗' : '⊘';
          out.push(clean(`${pad}${mark} ${e.name}${e.mcp_server ? ` (mcp ${e.mcp_server})` : ''}  ${e.status}  ${fmtDuration(e.duration_ms)}`) + (e.input !== undefined ? `  ${text(json(e.input), o.full ? 0 : 160)}` : ''));
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
      `${t.cache_read_input_tokens ? ` (${fmtTokens(t.cache_read_input_tokens)} cache read)` : ''} · ${fmtCost(t.cost_usd)}` +
      `${t.sources?.cost_usd && t.sources.cost_usd !== 'events' ? ` (cost from ${t.sources.cost_usd})` : ''} · ${fmtDuration(t.duration_ms)}`,
  );
  for (const [model, u] of Object.entries(s.models ?? {})) {
    out.push(clean(`  ${model}: ${fmtTokens(u.input_tokens)} in / ${fmtTokens(u.output_tokens)} out · ${fmtCost(u.cost_usd)}`));
  }
  if (s.spans?.dropped) out.push(`spans: ${s.spans.kept} kept, ${s.spans.dropped} dropped`);
  return out;
}
