/**
 * JsonlSink: a SessionStorage that appends each session as one JSON line to a file, in the order
 * sessions complete. Writes are serialized (one append at a time), so lines never interleave even
 * with several writers in the processor; a revision of a session is a new line, not an edit.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Session } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';

export interface JsonlSinkOptions {
  /** File to append to; its folder is created. */
  path: string;
}

export class JsonlSink implements SessionStorage {
  readonly path: string;
  private tail: Promise<unknown> = Promise.resolve();
  private lines = 0;
  private madeDir = false;

  constructor(options: JsonlSinkOptions) {
    this.path = path.resolve(options.path);
  }

  putSession(session: Session): Promise<string> {
    // Serialized before queueing: the line reflects the session as it was handed over.
    const line = `${JSON.stringify(session)}\n`;
    const write = this.tail.then(async () => {
      if (!this.madeDir) {
        await mkdir(path.dirname(this.path), { recursive: true });
        this.madeDir = true;
      }
      await appendFile(this.path, line, 'utf8');
      this.lines += 1;
      return `${this.path}#${this.lines}`;
    });
    // The chain continues past a failed append; the failure still reaches this caller.
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Waits for every append queued so far. */
  async flush(): Promise<void> {
    await this.tail;
  }
}
