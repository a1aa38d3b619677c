/** A real NodeTracerProvider + SessionSpanProcessor + LocalStorage, and readers for what was written. */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createTracing, LocalStorage, SessionSpanProcessor } from '../../src/index.js';
import type { AgentTracing, Session, SessionEvent, SessionSpanProcessorOptions, TracingOptions } from '../../src/index.js';
import { tempDir } from './tmp.js';
import { readIndexSync, readSessionsSync, storeText } from './store.js';

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

export function readStore(dir: string): Stored {
  const index = readIndexSync(dir) as unknown as Array<Record<string, unknown>>;
  const sessions = readSessionsSync(dir);
  sessions.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0));
  return { sessions, index, rawText: storeText(dir) };
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
