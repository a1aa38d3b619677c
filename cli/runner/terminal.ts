/**
 * What `ams run "prompt"` shows while the agent works: the answer text on stdout as it streams,
 * tool activity on stderr (`→ Bash: ls -1`, then `  ✓ Bash: 12` or `  ✗ Bash: error ...`), so
 * `ams run "..." > answer.txt` keeps only the answer. Colors only on a terminal (and not with
 * NO_COLOR); subagent activity is indented under the tool call that started it.
 */
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';

export interface TerminalOptions {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  err: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Use colors (default: both streams are terminals and NO_COLOR is unset). */
  color?: boolean;
}

type Json = Record<string, unknown>;

const MAX_INPUT = 100;
const MAX_RESULT = 120;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The few words that say what a tool call does: the command, the file, the pattern, else its JSON. */
export function shortInput(input: unknown): string {
  const i = obj(input);
  if (!i) return input === undefined ? '' : oneLine(JSON.stringify(input) ?? '', MAX_INPUT);
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description']) {
    const v = str(i[key]);
    if (v) return oneLine(v, MAX_INPUT);
  }
  // One string argument (an MCP tool's `text`, `name`, ...) says it all.
  const values = Object.values(i);
  if (values.length === 1 && typeof values[0] === 'string') return oneLine(values[0], MAX_INPUT);
  return Object.keys(i).length ? oneLine(JSON.stringify(i), MAX_INPUT) : '';
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        const block = obj(b);
        return block?.type === 'text' ? (str(block.text) ?? '') : block ? `[${String(block.type)}]` : '';
      })
      .join(' ');
  }
  return content === undefined ? '' : JSON.stringify(content);
}

export class Terminal {
  private readonly out: TerminalOptions['out'];
  private readonly err: TerminalOptions['err'];
  private readonly color: boolean;
  /** Tool names by tool_use id, and how deep each call is (subagents nest). */
  private readonly tools = new Map<string, { name: string; depth: number }>();
  /** Ids of model messages whose text was already printed from the stream. */
  private readonly streamed = new Set<string>();
  private currentMessage: string | undefined;
  /** The answer's last character printed was not a newline. */
  private midLine = false;
  /** Some answer text was printed. */
  private printed = false;
  /** The final result line from the SDK (subtype + errors), once it came. */
  result: { ok: boolean; subtype: string; errors: string[] } | undefined;

  constructor(options: TerminalOptions) {
    this.out = options.out;
    this.err = options.err;
    const tty = (s: TerminalOptions['out']) => (s as NodeJS.WriteStream).isTTY === true;
    this.color = options.color ?? (tty(this.out) && tty(this.err) && !process.env.NO_COLOR);
  }

  private paint(code: number, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private text(t: string): void {
    if (!t) return;
    this.out.write(t);
    this.printed = true;
    this.midLine = !t.endsWith('\n');
  }

  private endLine(): void {
    if (this.midLine) this.out.write('\n');
    this.midLine = false;
  }

  /** A line of activity on stderr, after ending the answer's current line. */
  line(text: string, depth = 0): void {
    this.endLine();
    this.err.write(`${'  '.repeat(depth)}${text}\n`);
  }

  private depthOf(parentToolUseId: unknown): number {
    const parent = str(parentToolUseId);
    return parent ? (this.tools.get(parent)?.depth ?? 0) + 1 : 0;
  }

  /** Shows one message of the SDK stream. Never throws. */
  show(message: SDKMessage): void {
    try {
      this.handle(message as unknown as Json);
    } catch {
      // A display problem must not stop the run.
    }
  }

  private handle(m: Json): void {
    const main = !str(m.parent_tool_use_id);
    switch (m.type) {
      case 'stream_event': {
        const e = obj(m.event);
        if (!main || !e) return;
        if (e.type === 'message_start') this.currentMessage = str(obj(e.message)?.id);
        const delta = obj(e.delta);
        if (e.type === 'content_block_delta' && delta?.type === 'text_delta') {
          if (this.currentMessage) this.streamed.add(this.currentMessage);
          this.text(str(delta.text) ?? '');
        }
        return;
      }
      case 'assistant': {
        const msg = obj(m.message);
        const blocks = Array.isArray(msg?.content) ? (msg.content as unknown[]) : [];
        const depth = this.depthOf(m.parent_tool_use_id);
        const id = str(msg?.id);
        for (const raw of blocks) {
          const b = obj(raw);
          if (!b) continue;
          if (b.type === 'text' && main && !(id && this.streamed.has(id))) this.text(str(b.text) ?? '');
          if (b.type === 'tool_use') {
            const name = str(b.name) ?? 'tool';
            if (str(b.id)) this.tools.set(str(b.id)!, { name, depth });
            const input = shortInput(b.input);
            this.line(this.paint(36, `→ ${name}`) + (input ? `: ${input}` : ''), depth);
          }
        }
        return;
      }
      case 'user': {
        const content = obj(m.message)?.content;
        if (!Array.isArray(content)) return;
        for (const raw of content) {
          const b = obj(raw);
          if (b?.type !== 'tool_result') continue;
          const tool = this.tools.get(str(b.tool_use_id) ?? '');
          const text = oneLine(resultText(b.content), MAX_RESULT);
          const mark = b.is_error === true ? this.paint(31, `✗ ${tool?.name ?? 'tool'} error`) : this.paint(32, `✓ ${tool?.name ?? 'tool'}`);
          this.line(`  ${mark}${text ? `: ${text}` : ''}`, tool?.depth ?? 0);
        }
        return;
      }
      case 'result': {
        const subtype = str(m.subtype) ?? 'unknown';
        const errors = Array.isArray(m.errors) ? m.errors.map(String) : [];
        this.result = { ok: subtype === 'success' && m.is_error !== true, subtype, errors };
        // Without streaming (or a run that printed no text), the final answer is still shown.
        if (!this.printed && str(m.result)) this.text(str(m.result)!);
        this.endLine();
        return;
      }
      default:
        return;
    }
  }

  /** Ends the answer's last line (call once the run is over). */
  close(): void {
    this.endLine();
  }
}
