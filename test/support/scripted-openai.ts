/**
 * A scripted local OpenAI API for tests: Chat Completions (`POST /v1/chat/completions`) and the
 * Responses API (`POST /v1/responses`, what `@ai-sdk/openai` 3's `openai(model)` calls;
 * `openai.chat(model)` calls Chat Completions), streaming (SSE `data:` frames, `[DONE]` after
 * chat chunks) and not, tool calls, usage with cached prompt tokens, HTTP errors.
 *
 * Scripted by turns like the Anthropic one (src/demo/scripted-api.ts): a turn matches by a marker
 * in the first user message and by the tool call ids the request answers, not by call order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';


/** What OpenAI's API itself reports when no prompt token came from its cache (it always sends the field). */
const OPENAI_NOTHING_CACHED = 0;

export type OpenAiBlock = { type: 'text'; text: string } | { type: 'tool_call'; id: string; name: string; arguments: Record<string, unknown> };

/** OpenAI's convention: input_tokens counts the cached ones too. */
export interface OpenAiUsage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens?: number;
}

export interface OpenAiTurn {
  name?: string;
  /** The first user message must contain this. */
  prompt?: string;
  /** The request must answer this tool call id (or all of these). */
  after?: string | string[];
  blocks?: OpenAiBlock[];
  /** Chat: 'stop' | 'tool_calls' | 'length'; default by the blocks. */
  finishReason?: string;
  usage?: OpenAiUsage;
  /** Answer with an HTTP error instead. */
  error?: { status: number; type: string; message: string; code?: string };
  times?: number;
  model?: string;
}

export interface OpenAiRequest {
  path: string;
  stream: boolean;
  model: string;
  firstUserText: string;
  toolResultIds: string[];
  turn?: string;
  body: Record<string, unknown>;
}

export interface ScriptedOpenAi {
  /** `http://127.0.0.1:<port>`; the SDK base URL is `url + '/v1'`. */
  url: string;
  script(turns: OpenAiTurn[]): void;
  requests: OpenAiRequest[];
  pending(): OpenAiTurn[];
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE: OpenAiUsage = { input_tokens: 50, output_tokens: 10 };
let counter = 0;

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c: Record<string, unknown>) => (typeof c.text === 'string' ? c.text : '')).join('\n');
}

/** What a request asks: its first user text and the tool call ids it answers (both APIs). */
function viewOf(path: string, body: Record<string, unknown>): OpenAiRequest {
  const items = (Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : []) as Array<Record<string, unknown>>;
  const firstUser = items.find((m) => m.role === 'user');
  const toolResultIds: string[] = [];
  for (const m of items) {
    if (m.role === 'tool' && typeof m.tool_call_id === 'string') toolResultIds.push(m.tool_call_id);
    if (m.type === 'function_call_output' && typeof m.call_id === 'string') toolResultIds.push(m.call_id);
  }
  return {
    path,
    stream: body.stream === true,
    model: typeof body.model === 'string' ? body.model : 'gpt-4o-mini',
    firstUserText: text(firstUser?.content),
    toolResultIds,
    body,
  };
}

function matches(turn: OpenAiTurn, req: OpenAiRequest): boolean {
  if (turn.prompt !== undefined && !req.firstUserText.includes(turn.prompt)) return false;
  const after = turn.after === undefined ? [] : Array.isArray(turn.after) ? turn.after : [turn.after];
  // A turn without `after` answers the start of a conversation; one with it, exactly those results.
  if (after.length === 0) return req.toolResultIds.length === 0;
  return after.every((id) => req.toolResultIds.includes(id)) && req.toolResultIds.length === after.length;
}

function finishOf(turn: OpenAiTurn, blocks: OpenAiBlock[]): string {
  return turn.finishReason ?? (blocks.some((b) => b.type === 'tool_call') ? 'tool_calls' : 'stop');
}

// ---- Chat Completions -----------------------------------------------------------------------

function chatUsage(u: OpenAiUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens,
    total_tokens: u.input_tokens + u.output_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? OPENAI_NOTHING_CACHED },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function chatWhole(turn: OpenAiTurn, blocks: OpenAiBlock[], model: string, id: string, usage: OpenAiUsage): Record<string, unknown> {
  const content = blocks.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('');
  const calls = blocks.filter((b): b is Extract<OpenAiBlock, { type: 'tool_call' }> => b.type === 'tool_call');
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: content || null,
          ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) } : {}),
        },
        finish_reason: finishOf(turn, blocks),
      },
    ],
    usage: chatUsage(usage),
  };
}

function chatChunks(turn: OpenAiTurn, blocks: OpenAiBlock[], model: string, id: string, usage: OpenAiUsage): unknown[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  const out: unknown[] = [chunk({ role: 'assistant', content: '' })];
  let callIndex = 0;
  for (const b of blocks) {
    if (b.type === 'text') out.push(chunk({ content: b.text }));
    else out.push(chunk({ tool_calls: [{ index: callIndex++, id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.arguments) } }] }));
  }
  out.push(chunk({}, finishOf(turn, blocks)));
  out.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsage(usage) });
  return out;
}

// ---- Responses API --------------------------------------------------------------------------

function responsesUsage(u: OpenAiUsage): Record<string, unknown> {
  return {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens ?? OPENAI_NOTHING_CACHED },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

function responseItems(blocks: OpenAiBlock[], id: string): Array<Record<string, unknown>> {
  return blocks.map((b, i) =>
    b.type === 'text'
      ? { type: 'message', id: `${id}_msg_${i}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: b.text, annotations: [] }] }
      : { type: 'function_call', id: `${id}_fc_${i}`, call_id: b.id, name: b.name, arguments: JSON.stringify(b.arguments), status: 'completed' },
  );
}

function responsesWhole(blocks: OpenAiBlock[], model: string, id: string, usage: OpenAiUsage): Record<string, unknown> {
  return { id, object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'completed', model, output: responseItems(blocks, id), usage: responsesUsage(usage) };
}

function responsesEvents(blocks: OpenAiBlock[], model: string, id: string, usage: OpenAiUsage): unknown[] {
  const created = Math.floor(Date.now() / 1000);
  let seq = 0;
  const ev = (o: Record<string, unknown>) => ({ ...o, sequence_number: seq++ });
  const out: unknown[] = [ev({ type: 'response.created', response: { id, object: 'response', created_at: created, status: 'in_progress', model, output: [] } })];
  responseItems(blocks, id).forEach((item, index) => {
    if (item.type === 'message') {
      out.push(ev({ type: 'response.output_item.added', output_index: index, item: { type: 'message', id: item.id, role: 'assistant', status: 'in_progress', content: [] } }));
      const t = (item.content as Array<{ text: string }>)[0]!.text;
      out.push(ev({ type: 'response.output_text.delta', item_id: item.id, output_index: index, content_index: 0, delta: t }));
      out.push(ev({ type: 'response.output_item.done', output_index: index, item }));
    } else {
      out.push(ev({ type: 'response.output_item.added', output_index: index, item: { ...item, arguments: '', status: 'in_progress' } }));
      out.push(ev({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: index, delta: item.arguments }));
      out.push(ev({ type: 'response.output_item.done', output_index: index, item }));
    }
  });
  out.push(ev({ type: 'response.completed', response: { ...responsesWhole(blocks, model, id, usage), created_at: created } }));
  return out;
}

// ---- server ---------------------------------------------------------------------------------

export async function startScriptedOpenAi(): Promise<ScriptedOpenAi> {
  let turns: Array<{ turn: OpenAiTurn; left: number }> = [];
  const requests: OpenAiRequest[] = [];

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    const isChat = path === '/v1/chat/completions';
    if (req.method !== 'POST' || (!isChat && path !== '/v1/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `not scripted: ${path}` } }));
      return;
    }
    const view = viewOf(path, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    const live = turns.find((t) => t.left > 0 && matches(t.turn, view));
    if (live) live.left -= 1;
    view.turn = live?.turn.name;
    requests.push(view);
    const turn: OpenAiTurn = live?.turn ?? { blocks: [{ type: 'text', text: 'OK (unscripted)' }] };
    if (turn.error) {
      res.writeHead(turn.error.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: turn.error.type, message: turn.error.message, code: turn.error.code ?? null, param: null } }));
      return;
    }
    const blocks = turn.blocks ?? [{ type: 'text', text: 'OK' }];
    const usage = turn.usage ?? DEFAULT_USAGE;
    const model = turn.model ?? view.model;
    const id = `${isChat ? 'chatcmpl' : 'resp'}_scripted_${(++counter).toString().padStart(4, '0')}`;
    if (!view.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(isChat ? chatWhole(turn, blocks, model, id, usage) : responsesWhole(blocks, model, id, usage)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (isChat) {
      for (const c of chatChunks(turn, blocks, model, id, usage)) res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.write('data: [DONE]\n\n');
    } else {
      for (const e of responsesEvents(blocks, model, id, usage)) res.write(`event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`);
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
    pending: () => turns.filter((t) => t.left > 0).map((t) => t.turn),
    reset() {
      turns = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
