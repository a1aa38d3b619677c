/**
 * Reads every index entry once. There is no database: the index folder is the database, and one
 * pass over it is the floor every query pays. Local folders are read with bounded parallelism
 * (the storage's own listIndex reads one file at a time); other readers go through listIndex.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SessionIndexEntry } from '../session/types.js';
import { LocalStorage } from '../storage/local.js';
import { indexFolder } from '../storage/keys.js';
import type { SessionReader } from '../storage/types.js';

/** Files read at once from a local index folder: enough to hide latency, few enough for any ulimit. */
const LOCAL_READ_CONCURRENCY = 64;

/** Where a local storage keeps its index entries. */
export function localIndexDir(storage: LocalStorage): string {
  return storage.pathOf(indexFolder(storage.prefix));
}

async function readEntry(file: string): Promise<SessionIndexEntry | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SessionIndexEntry;
  } catch {
    // Vanished between readdir and read (a rewrite), or a torn file from a foreign writer: skip.
    return undefined;
  }
}

async function scanLocal(storage: LocalStorage, onProgress?: (done: number, total: number) => void): Promise<SessionIndexEntry[]> {
  const dir = localIndexDir(storage);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: (SessionIndexEntry | undefined)[] = new Array(names.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      out[i] = await readEntry(path.join(dir, names[i]!));
      done += 1;
      if (onProgress && done % 256 === 0) onProgress(done, names.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOCAL_READ_CONCURRENCY, names.length) }, worker));
  onProgress?.(names.length, names.length);
  return out.filter((e): e is SessionIndexEntry => e !== undefined && typeof e === 'object' && typeof e.id === 'string');
}

/** Every index entry, in no particular order. */
export async function readAllIndex(reader: SessionReader, onProgress?: (done: number, total: number) => void): Promise<SessionIndexEntry[]> {
  if (reader instanceof LocalStorage) return scanLocal(reader, onProgress);
  const out: SessionIndexEntry[] = [];
  for await (const e of reader.listIndex()) {
    out.push(e);
    if (onProgress && out.length % 256 === 0) onProgress(out.length, 0);
  }
  return out;
}
