/**
 * ConsoleSink: a SessionStorage that prints a compact summary of each session as it completes
 * (one line, plus one per failure), or the whole document with `format: 'json'`. For local runs
 * and tests; pair it with real storage through fanOut().
 */
import { summarizeSession } from '../render/session.js';
import type { Session } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';

// The summary lives with the one session renderer; exported here too for custom sinks.
export { summarizeSession };

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
