/**
 * A scripted local Anthropic Messages API, for tests and the demo: the real Claude Agent SDK
 * (and its real CLI binary) talks to it through ANTHROPIC_BASE_URL.
 *
 * What the CLI does (probed against @anthropic-ai/claude-agent-sdk 0.3.330):
 * - `POST /v1/messages?beta=true` with `stream: true` for every model turn, main thread and
 *   subagents alike; the answer must be SSE with an `event:` line on every frame.
 * - side requests (titles, summaries, ...) may come without `stream`; they get a whole Message.
 * - the main thread's first user message holds a `<system-reminder>` block and then the prompt;
 *   a subagent's first user message holds the prompt it was given; follow-up requests end with a
 *   user message of `tool_result` blocks.
 *
 * So turns are matched by what the request contains (a marker in the first user message, the
 * tool_use ids being answered), not by call order: several conversations, subagents and side
 * requests can share one server at the same time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Usage } from '../session/types.js';

export type ScriptedBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** Usage as the Messages API sends it: the session's Usage shape, cache counts optional. */
export type ScriptedUsage = Pick<Usage, 'input_tokens' | 'output_tokens'> & Partial<Usage>;

/** What a rule can look at. */
export interface RequestView {
  /** Text of the first user message (prompt of the main thread or of a subagent). */
  firstUserText: string;
  /** Text of the last message, tool results included as `tool_result(<id>): <content>`. */
  lastText: string;
  /** tool_use ids answered by the last message. */
  toolResultIds: string[];
  stream: boolean;
  model: string;
  messageCount: number;
  body: Record<string, unknown>;
}

export interface ScriptedTurn {
  /** Label for failures and logs. */
  name?: string;
  /** The first user message must contain this (a scenario marker or a subagent prompt). */
  prompt?: string;
  /** The last message must answer this tool_use id (or all of these). */
  after?: string | string[];
  /** When neither `after` is given: only match a request that answers no tool call. */
  fresh?: boolean;
  /** Any other condition. */
  when?: (req: RequestView) => boolean;
  /** Content to answer with. */
  blocks?: ScriptedBlock[];
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  /** Usage: message_start carries input/cache tokens and output 1; message_delta the final output. */
  usage?: ScriptedUsage;
  /**
   * Answer with an HTTP error instead (e.g. 529 overloaded_error). Not retryable unless
   * `retryable` (the `x-should-retry` header tells the client which).
   */
  error?: { status: number; type: string; message: string; retryable?: boolean };
  /** Wait before answering (and between frames, spread evenly). */
  delayMs?: number;
  /** How many requests this turn may answer (default 1; Infinity for "always"). */
  times?: number;
  /** Model to report (default: the requested one). */
  model?: string;
}

export interface RecordedRequest {
  at: number;
  turn?: string;
  view: RequestView;
}

export interface ScriptedApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Adds turns; the first unused turn whose conditions hold answers a request. */
  script(turns: ScriptedTurn[]): void;
  /** Every request seen, in arrival order. */
  requests: RecordedRequest[];
  /** Streaming requests no turn matched (answered with a plain text reply). */
  unmatched: RecordedRequest[];
  /** Turns not used up yet. */
  pending(): ScriptedTurn[];
  /** Forget turns and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

interface LiveTurn {
  turn: ScriptedTurn;
  left: number;
}

const DEFAULT_USAGE: ScriptedUsage = {
  input_tokens: 100,
  output_tokens: 20,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

let messageCounter = 0;

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: Record<string, unknown>) => {
      if (b.type === 'text') return String(b.text);
      if (b.type === 'tool_result') return `tool_result(${String(b.tool_use_id)}): ${textOfContent(b.content)}`;
      return '';
    })
    .join('\n');
}

export function viewOf(body: Record<string, unknown>): RequestView {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const firstUser = messages.find((m) => m.role === 'user');
  const last = messages[messages.length - 1];
  const toolResultIds = Array.isArray(last?.content)
    ? (last.content as Array<Record<string, unknown>>)
        .filter((b) => b.type === 'tool_result')
        .map((b) => String(b.tool_use_id))
    : [];
  return {
    firstUserText: textOfContent(firstUser?.content),
    lastText: textOfContent(last?.content),
    toolResultIds,
    stream: body.stream === true,
    model: typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5',
    messageCount: messages.length,
    body,
  };
}

function matches(turn: ScriptedTurn, view: RequestView): boolean {
  if (turn.prompt !== undefined && !view.firstUserText.includes(turn.prompt)) return false;
  if (turn.after !== undefined) {
    const ids = Array.isArray(turn.after) ? turn.after : [turn.after];
    if (!ids.every((id) => view.toolResultIds.includes(id))) return false;
  } else if (turn.fresh !== false && view.toolResultIds.length > 0) {
    // A turn without `after` answers the start of a conversation, not a tool result.
    return false;
  }
  if (turn.when && !turn.when(view)) return false;
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SSE frames for one response, exactly as the Messages API streams them. */
export function sseFrames(turn: ScriptedTurn, model: string, id: string): Array<{ event: string; data: unknown }> {
  const usage = { ...DEFAULT_USAGE, ...turn.usage };
  const blocks = turn.blocks ?? [{ type: 'text', text: 'OK' }];
  const stopReason = turn.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  const frames: Array<{ event: string; data: unknown }> = [];
  frames.push({
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          output_tokens: 1,
          cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        },
      },
    },
  });
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      frames.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
      frames.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } } });
    } else if (block.type === 'thinking') {
      frames.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } },
      });
      frames.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } } });
      frames.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature ?? 'c2lnbmF0dXJl' } },
      });
    } else {
      frames.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } },
      });
      frames.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } },
      });
    }
    frames.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  frames.push({
    event: 'message_delta',
    data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } },
  });
  frames.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return frames;
}

/** The same response as one Message object, for non-streaming requests. */
export function wholeMessage(turn: ScriptedTurn, model: string, id: string): Record<string, unknown> {
  const usage = { ...DEFAULT_USAGE, ...turn.usage };
  const blocks = turn.blocks ?? [{ type: 'text', text: 'OK' }];
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks.map((b) => (b.type === 'thinking' ? { ...b, signature: b.signature ?? 'c2lnbmF0dXJl' } : b)),
    stop_reason: turn.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    },
  };
}

export async function startScriptedApi(options: { log?: (line: string) => void } = {}): Promise<ScriptedApi> {
  let turns: LiveTurn[] = [];
  const requests: RecordedRequest[] = [];
  const unmatched: RecordedRequest[] = [];
  const log = options.log;

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log?.(`scripted-api: handler failed: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '';
    if (req.method !== 'POST' || !url.startsWith('/v1/messages')) {
      // e.g. /v1/models, count_tokens, telemetry: answer harmlessly.
      res.writeHead(url.includes('count_tokens') ? 200 : 404, { 'content-type': 'application/json' });
      res.end(url.includes('count_tokens') ? JSON.stringify({ input_tokens: 10 }) : JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'not scripted' } }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'bad json' } }));
      return;
    }
    const view = viewOf(body);
    const live = turns.find((t) => t.left > 0 && matches(t.turn, view));
    const record: RecordedRequest = { at: Date.now(), turn: live?.turn.name, view };
    requests.push(record);
    log?.(`scripted-api: ${view.stream ? 'stream' : 'whole'} #${requests.length} -> ${live?.turn.name ?? '(default)'} last=${view.lastText.slice(-120).replace(/\n/g, ' ')}`);
    if (live) live.left -= 1;
    else if (view.stream) unmatched.push(record);

    const turn: ScriptedTurn = live?.turn ?? { blocks: [{ type: 'text', text: view.stream ? 'OK (unscripted)' : 'Scripted session' }], usage: { input_tokens: 5, output_tokens: 3 } };
    const model = turn.model ?? view.model;
    const id = `msg_scripted_${(++messageCounter).toString().padStart(4, '0')}`;
    const delay = turn.delayMs ?? 0;

    if (turn.error) {
      if (delay) await sleep(delay);
      res.writeHead(turn.error.status, { 'content-type': 'application/json', 'x-should-retry': turn.error.retryable ? 'true' : 'false' });
      res.end(JSON.stringify({ type: 'error', error: { type: turn.error.type, message: turn.error.message } }));
      return;
    }
    if (!view.stream) {
      if (delay) await sleep(delay);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      res.end(JSON.stringify(wholeMessage(turn, model, id)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
    const frames = sseFrames(turn, model, id);
    const gap = delay / frames.length;
    for (const frame of frames) {
      if (gap) await sleep(gap);
      res.write(`event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    script(more) {
      turns.push(...more.map((turn) => ({ turn, left: turn.times ?? 1 })));
    },
    requests,
    unmatched,
    pending: () => turns.filter((t) => t.left > 0 && Number.isFinite(t.left)).map((t) => t.turn),
    reset() {
      turns = [];
      requests.length = 0;
      unmatched.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
