/**
 * Starts one storage call with its own AbortController, so the caller can abandon it at a deadline
 * (ReliableStorage's retry loop, the writer's deadline around storages without one). A call that
 * throws synchronously becomes a rejected promise, as if it had failed asynchronously.
 */
export function startAbortable<T>(fn: (signal: AbortSignal) => Promise<T>): { ac: AbortController; p: Promise<T> } {
  const ac = new AbortController();
  let p: Promise<T>;
  try {
    p = Promise.resolve(fn(ac.signal));
  } catch (err) {
    p = Promise.reject(err);
  }
  return { ac, p };
}
