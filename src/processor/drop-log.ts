import { diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';

/**
 * Logs drops without flooding: the first one at once, then at most one line per interval with
 * the totals (as the SDK's BatchSpanProcessor does for a full queue).
 */
export class DropLog {
  private readonly totals = new Map<string, number>();
  private unreported = 0;
  private lastLog = 0;

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
    private readonly log: DiagLogger = diag,
  ) {}

  add(count: number, what: string): void {
    this.totals.set(what, (this.totals.get(what) ?? 0) + count);
    this.unreported += count;
    if (this.now() - this.lastLog >= this.intervalMs) this.flush();
  }

  flush(): void {
    if (!this.unreported) return;
    const parts = [...this.totals].map(([what, n]) => `${n} ${what}`).join(', ');
    this.log.warn(`dropped ${parts} so far (limits protect the host's memory)`);
    this.unreported = 0;
    this.lastLog = this.now();
  }
}
