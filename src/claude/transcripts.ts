/**
 * Subagent transcripts: subagent responses are not streamed to the SDK, so their messages carry
 * message_start usage only; the transcript file (JSONL) named by SubagentStop has the final
 * figures. Reading it is the only file I/O of the instrumentation; failures only cost exactness.
 */
import { readFile, stat } from 'node:fs/promises';
import { jsonText } from '../emitter/text.js';
import { log } from './log.js';
import type { Run } from './run.js';
import type { AgentState, TranscriptFigures } from './state.js';
import { obj, s, usageFrom } from './state.js';

/** Waits before reading a subagent transcript again when a response is not in it yet. */
const TRANSCRIPT_RETRY_MS = [50, 150, 400];
/** Transcripts larger than this are not read for usage figures. */
const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;

/** Final usage and stop reason per response id from a transcript (JSONL: one line per content block). */
export function parseTranscriptUsage(text: string): Map<string, TranscriptFigures> {
  const usage = new Map<string, TranscriptFigures>();
  for (const line of text.split('\n')) {
    if (!line.includes('"assistant"')) continue;
    try {
      const entry = obj(JSON.parse(line));
      const message = obj(entry?.message);
      const id = s(message?.id);
      const figures = usageFrom(message?.usage);
      // Later lines of the same response win: the last one carries the final figures.
      if (entry?.type === 'assistant' && id && figures) usage.set(id, { usage: figures, stopReason: s(message?.stop_reason) });
    } catch {
      // a partial last line while the CLI is still writing: skip it
    }
  }
  return usage;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class Transcripts {
  /** Reads in flight (flush() waits for them). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly run: Run) {}

  /** Reads final per-response usage of `agent` from its transcript at `path`. Never rejects. */
  load(agent: AgentState, path: string): Promise<void> {
    agent.usageLoad = 'pending';
    const load = (async () => {
      try {
        // A transcript this large is not worth holding in memory for usage figures.
        if ((await stat(path)).size > MAX_TRANSCRIPT_BYTES) return;
        // Probed: the subagent's last response reaches the transcript just after SubagentStop,
        // so read again (briefly) while a known response is missing.
        for (let attempt = 0; ; attempt++) {
          const usage = parseTranscriptUsage(await readFile(path, 'utf8'));
          agent.transcriptUsage = usage;
          const missing = this.run.chats.of(agent).some((c) => !usage.has(c.id));
          if (!missing || attempt >= TRANSCRIPT_RETRY_MS.length || this.run.finished) break;
          await sleep(TRANSCRIPT_RETRY_MS[attempt]!);
        }
      } catch (err) {
        log.debug(`could not read subagent transcript ${path}: ${err instanceof Error ? err.message : jsonText(err)}`);
      } finally {
        agent.usageLoad = 'done';
      }
    })();
    this.pending.add(load);
    void load.finally(() => this.pending.delete(load));
    return load;
  }

  /** Waits (at most `timeoutMs`) for the reads in flight. Never rejects. */
  async flush(timeoutMs: number): Promise<void> {
    if (!this.pending.size) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.pending]).then(() => undefined), timeout]);
    clearTimeout(timer);
  }
}
