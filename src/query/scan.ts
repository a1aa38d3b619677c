/**
 * Reads every index entry once. There is no database: the index folder is the database, and one
 * pass over it is the floor every query pays. Local folders are read with synchronous reads in
 * small chunks: for thousands of ~1 KB files, readFileSync is several times faster than
 * fs.promises.readFile (one thread-pool round trip per open/stat/read/close), and yielding to
 * the event loop between chunks keeps a server that mounts the viewer (the receiver) responsive.
 * Other readers go through listIndex.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SessionIndexEntry } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import { indexFolder } from '../storage/keys.js';
import type { SessionReader } from '../storage/types.js';

/** Files read per event-loop turn: a few milliseconds of blocking at most. */
const LOCAL_CHUNK = 200;

/** Where a local storage keeps its index entries. */
export function localIndexDir(storage: LocalStorage): string {
  return storage.pathOf(indexFolder(storage.prefix));
}

/** Told about an index object that is not an entry (corrupt, truncated, foreign), which is skipped. */
export type OnCorruptEntry = (object: string, problem: string) => void;

function readEntry(file: string, onCorrupt?: OnCorruptEntry): SessionIndexEntry | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Vanished between readdir and read (a rewrite): skip.
    return undefined;
  }
  try {
    const e = JSON.parse(text) as SessionIndexEntry;
    if (e !== null && typeof e === 'object' && typeof e.id === 'string') return e;
    onCorrupt?.(file, 'not an index entry (no string id)');
  } catch (err) {
    // A foreign or half-written file that is not an entry: skip it, and say so when asked.
    onCorrupt?.(file, `not valid JSON (${(err as Error).message})`);
  }
  return undefined;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function scanLocal(storage: LocalStorage, onProgress?: (done: number, total: number) => void, onCorrupt?: OnCorruptEntry): Promise<SessionIndexEntry[]> {
  const dir = localIndexDir(storage);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SessionIndexEntry[] = [];
  for (let i = 0; i < names.length; i += LOCAL_CHUNK) {
    if (i > 0) await nextTurn();
    for (const name of names.slice(i, i + LOCAL_CHUNK)) {
      const e = readEntry(path.join(dir, name), onCorrupt);
      if (e) out.push(e);
    }
    onProgress?.(Math.min(names.length, i + LOCAL_CHUNK), names.length);
  }
  return out;
}
/** Every index entry, in no particular order; `onCorrupt` hears of the objects skipped as not entries. */
export async function readAllIndex(reader: SessionReader, onProgress?: (done: number, total: number) => void, onCorrupt?: OnCorruptEntry): Promise<SessionIndexEntry[]> {
  if (reader instanceof LocalStorage) return scanLocal(reader, onProgress, onCorrupt);
  const out: SessionIndexEntry[] = [];
  for await (const e of reader.listIndex(onCorrupt)) {
    out.push(e);
    if (onProgress && out.length % 256 === 0) onProgress(out.length, 0);
  }
  return out;
}
