/**
 * fanOut(a, b, ...): one SessionStorage that writes each session to several (say, a ConsoleSink
 * and LocalStorage). Every target is tried; the key is the first successful target's (in argument order). It fails only when
 * every target failed, and reports partial failures through diag.
 */
import { diag } from '@opentelemetry/api';
import type { Session } from '../session/types.js';
import type { SessionStorage } from '../storage/types.js';

export function fanOut(...targets: SessionStorage[]): SessionStorage {
  if (targets.length === 0) throw new Error('fanOut: at least one storage is required');
  return {
    async putSession(session: Session): Promise<string> {
      const results = await Promise.allSettled(targets.map((t) => t.putSession(session)));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length === results.length) throw failed[0]!.reason;
      for (const f of failed) diag.warn(`ams-otel: one of the fan-out storages failed for session ${session.id}: ${String(f.reason)}`);
      const first = results.find((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
      return first!.value;
    },
    async flush(): Promise<void> {
      await Promise.allSettled(targets.map((t) => t.flush?.()));
    },
    async close(): Promise<void> {
      await Promise.allSettled(targets.map((t) => t.close?.()));
    },
  };
}
