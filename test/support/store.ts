/**
 * Reads a local store the way a test wants to look at it: synchronously, straight from the files
 * (not through the storage under test), in both index layouts (segments and per-session files),
 * each session at its highest revision.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Session, SessionIndexEntry } from '../../src/index.js';
import { decodeSegment, LatestEntries, SEGMENT_SUFFIX } from '../../src/storage/segments.js';

/** Every file under `dir`, absolute paths. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** Index entries of a local store, both layouts, highest revision per session id. */
export function readIndexSync(dir: string): SessionIndexEntry[] {
  const latest = new LatestEntries();
  for (const file of filesUnder(path.join(dir, 'index')).sort()) {
    if (file.endsWith(SEGMENT_SUFFIX)) for (const e of decodeSegment(readFileSync(file), file)) latest.add(e);
    else if (file.endsWith('.json') && path.dirname(file) === path.join(dir, 'index')) latest.add(JSON.parse(readFileSync(file, 'utf8')) as SessionIndexEntry);
  }
  return latest.values();
}

/** The documents the index lists. */
export function readSessionsSync(dir: string): Session[] {
  return readIndexSync(dir).map((e) => JSON.parse(readFileSync(path.join(dir, e.key), 'utf8')) as Session);
}

/** Every file's text (gzip'd segments decompressed): what a secret must not be found in. */
export function storeText(dir: string): string {
  return filesUnder(dir)
    .map((f) => (f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString('utf8') : readFileSync(f, 'utf8')))
    .join('\n');
}
