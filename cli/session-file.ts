/**
 * Sessions from a file instead of a store: what the JSONL sink writes (src/sinks/jsonl.ts, one
 * session document per line, a revision of a session a later line) or one session's .json file
 * (`ams show --json` output, a document from the store). A later line of the same session id
 * replaces the earlier one, so each session is shown once, as last written.
 */
import { readFile } from 'node:fs/promises';
import type { Session } from '../src/session/types.js';

/** True when `ref` names a file rather than an id: a path, or a .json / .jsonl / .ndjson name. */
export function looksLikeFile(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(jsonl|ndjson|json)$/i.test(ref);
}

function isSession(v: unknown): v is Session {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return typeof s.id === 'string' && Array.isArray(s.events) && !!s.agent && typeof s.agent === 'object' && !!s.totals && typeof s.totals === 'object';
}

export class SessionFileError extends Error {}

/** The sessions in the file, in order of first appearance, each as its last line has it. */
export async function readSessionFile(file: string): Promise<Session[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SessionFileError(code === 'ENOENT' ? `no such file: ${file}` : code === 'EISDIR' ? `${file} is a folder; to read the store in it, give --local-dir ${file} and a session id` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const byId = new Map<string, Session>();
  const add = (v: unknown, where: string): void => {
    if (!isSession(v)) throw new SessionFileError(`${where} is not a session document (no id, agent, events and totals)`);
    byId.set(v.id, v);
  };
  const trimmed = text.trim();
  if (trimmed === '') throw new SessionFileError(`${file} is empty`);
  // One document (possibly pretty-printed), or an array of them.
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) whole.forEach((v, i) => add(v, `${file}: item ${i + 1}`));
    else add(whole, file);
    return [...byId.values()];
  } catch (err) {
    if (err instanceof SessionFileError) throw err;
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new SessionFileError(`${file}:${i + 1} is not JSON (expected one session document per line, as the JSONL sink writes)`);
    }
    add(v, `${file}:${i + 1}`);
  });
  return [...byId.values()];
}
