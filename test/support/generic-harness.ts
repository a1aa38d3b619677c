/** A real NodeTracerProvider + SessionSpanProcessor + LocalStorage, and readers for what was written. */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTracing, LocalStorage, SessionSpanProcessor } from '../../src/index.js';
import type { AgentTracing, Session, SessionEvent, SessionSpanProcessorOptions, TracingOptions } from '../../src/index.js';
import { tempDir } from './tmp.js';

export interface Harness {
  dir: string;
  provider: NodeTracerProvider;
  processor: SessionSpanProcessor;
  t: AgentTracing;
  /** Flushes the provider (so the processor writes) and reads the store from disk. */
  flushAndRead(): Promise<Stored>;
}

export interface Stored {
  sessions: Session[];
  index: Array<Record<string, unknown>>;
  /** Raw text of every file written, for "no secret anywhere" checks. */
  rawText: string;
}

export function harness(options: SessionSpanProcessorOptions = {}, tracing: Omit<TracingOptions, 'tracerProvider'> = {}): Harness {
  const dir = tempDir('generic');
  const processor = new SessionSpanProcessor({ storage: new LocalStorage({ dir }), ...options });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  const t = createTracing({ tracerProvider: provider, env: {}, ...tracing });
  return {
    dir,
    provider,
    processor,
    t,
    async flushAndRead() {
      await provider.forceFlush();
      return readStore(dir);
    },
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

export function readStore(dir: string): Stored {
  const indexDir = path.join(dir, 'index');
  const index = existsSync(indexDir) ? readdirSync(indexDir).map((f) => JSON.parse(readFileSync(path.join(indexDir, f), 'utf8')) as Record<string, unknown>) : [];
  const sessions = index.map((e) => JSON.parse(readFileSync(path.join(dir, e.key as string), 'utf8')) as Session);
  sessions.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0));
  const rawText = filesUnder(dir)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return { sessions, index, rawText };
}

/** Every event, depth first (subagent and step children included). */
export function allEvents(events: SessionEvent[]): SessionEvent[] {
  const out: SessionEvent[] = [];
  const walk = (list: SessionEvent[]) => {
    for (const e of list) {
      out.push(e);
      if ((e.type === 'subagent' || e.type === 'step') && e.events) walk(e.events);
    }
  };
  walk(events);
  return out;
}

export function ofType<T extends SessionEvent['type']>(events: SessionEvent[], type: T): Array<Extract<SessionEvent, { type: T }>> {
  return allEvents(events).filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
}
