import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toIndexEntry } from '../session/index-entry.js';
import type { Session, SessionIndexEntry } from '../session/types.js';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import { indexFolder, indexKey, safeId, sessionKey } from './keys.js';
import type { SessionReader, SessionStorage } from './types.js';

export interface LocalStorageOptions {
  /** Root folder; default `AMS_LOCAL_DIR` or `./ams-data`. */
  dir?: string;
  /** Key prefix inside the folder; default none. */
  prefix?: string;
  env?: Env;
}

/** Writes a file so readers never see half of it: a temp file in the same folder, then rename. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Sessions as files under a local folder (the default storage). */
export class LocalStorage implements SessionStorage, SessionReader {
  readonly dir: string;
  readonly prefix: string;

  constructor(options: LocalStorageOptions = {}) {
    this.dir = path.resolve(resolve(SETTINGS.localDir, options.dir, options.env));
    this.prefix = options.prefix ?? '';
  }

  /** Absolute path of a key, refusing anything that would land outside the root folder. */
  pathOf(key: string): string {
    const file = path.resolve(this.dir, key);
    if (file !== this.dir && !file.startsWith(this.dir + path.sep)) throw new Error(`ams-otel: key escapes the storage folder: ${key}`);
    return file;
  }

  async putSession(session: Session): Promise<string> {
    const key = sessionKey(this.prefix, session);
    const idxKey = indexKey(this.prefix, session.id);
    if (session.revision > 1) {
      // A rewrite whose start date moved would leave the old document behind: remove it.
      const previous = await readJson<SessionIndexEntry>(this.pathOf(idxKey));
      if (previous && previous.key !== key) await rm(this.pathOf(previous.key), { force: true });
    }
    await writeFileAtomic(this.pathOf(key), JSON.stringify(session, null, 2) + '\n');
    await writeFileAtomic(this.pathOf(idxKey), JSON.stringify(toIndexEntry(session, key)) + '\n');
    return key;
  }

  async *listIndex(): AsyncIterable<SessionIndexEntry> {
    const folder = this.pathOf(indexFolder(this.prefix));
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const entry = await readJson<SessionIndexEntry>(path.join(folder, name));
      if (entry) yield entry;
    }
  }

  async getIndexEntry(id: string): Promise<SessionIndexEntry | undefined> {
    return readJson<SessionIndexEntry>(this.pathOf(indexKey(this.prefix, safeId(id))));
  }

  async getSession(id: string): Promise<Session | undefined> {
    const entry = await this.getIndexEntry(id);
    return entry ? readJson<Session>(this.pathOf(entry.key)) : undefined;
  }
}
