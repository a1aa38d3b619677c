/**
 * Write-ahead log for accepted OTLP requests: the receiver appends a request's body here before it
 * answers 200, and replays the log on start, so a crash or `kill -9` loses nothing acknowledged.
 *
 * Layout: `{dir}/wal-000000000001.log`, ... Each segment starts with an 8-byte magic and holds
 * records `[u32 length][u32 crc32][u8 flags][payload]` (little endian; the CRC covers flags and
 * payload). Appends are group-committed: requests that arrive while a write is in flight share the
 * next write (and the next fsync when `fsync` is on). Without fsync an acknowledged record is in
 * the kernel's page cache, which survives the process; with fsync it also survives power loss.
 *
 * Records get a sequence number in log order (per process: replayed records first). The owner says
 * which records are no longer needed with `release(lowWater)`: every segment whose records are all
 * below it is deleted.
 */
import { diag } from '@opentelemetry/api';
import { mkdir, open, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { crc32 } from './crc32.js';

const MAGIC = Buffer.from('AMSWAL1\n');
const LOCK_FILE = 'LOCK';
/** Directories this process has open: a second log on the same directory would delete the first's records. */
const openDirs = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One receiver per log directory: a `LOCK` file holds the owner's pid. A lock left by a process
 * that is gone (kill -9) is taken over.
 */
async function lockDir(dir: string): Promise<void> {
  const key = resolvePath(dir);
  const lock = join(dir, LOCK_FILE);
  if (openDirs.has(key)) throw new Error(`write-ahead log ${dir} is already open in this process; give each receiver its own AMS_RECEIVER_WAL_DIR`);
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
      throw new Error(`write-ahead log ${dir} is in use by process ${owner}; give each receiver its own AMS_RECEIVER_WAL_DIR`, { cause: err });
    }
    await writeFile(lock, String(process.pid));
  }
  openDirs.add(key);
}

async function unlockDir(dir: string): Promise<void> {
  openDirs.delete(resolvePath(dir));
  await unlink(join(dir, LOCK_FILE)).catch(() => {});
}
const HEADER_BYTES = 9;
const SEGMENT_RE = /^wal-(\d{12})\.log$/;
/** A segment is closed and a new one started past this size, so released data can be deleted. */
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  fsync?: boolean;
  segmentBytes?: number;
}

interface Segment {
  path: string;
  number: number;
  /** Lowest and highest record sequence numbers in the segment (0 = none yet). */
  minSeq: number;
  maxSeq: number;
  size: number;
  handle?: FileHandle;
}

interface Pending {
  buffers: Buffer[];
  bytes: number;
  seq: number;
  resolve(seq: number): void;
  reject(err: unknown): void;
}

export interface ReplayStats {
  segments: number;
  records: number;
  /** Bytes at the end of a segment that did not form a whole, valid record (a write cut short). */
  discardedBytes: number;
}

export class WriteAheadLog {
  private readonly segments: Segment[] = [];
  private active?: Segment;
  private nextNumber = 1;
  private seq = 0;
  private queue: Pending[] = [];
  /** The batch being written. */
  private writing: Pending[] = [];
  private working = false;
  private releaseBelow = 0;
  private closed = false;
  private idle: Array<() => void> = [];
  private readonly fsync: boolean;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    options: WalOptions,
  ) {
    this.fsync = options.fsync ?? false;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /**
   * Opens the log in `dir` and hands every record already in it to `onRecord`, in order, before
   * any new append. Records cut short at a segment's end (the process died mid-write, before its
   * 200) are skipped.
   */
  static async open(
    dir: string,
    options: WalOptions,
    onRecord: (payload: Buffer, flags: number, seq: number) => void,
  ): Promise<{ wal: WriteAheadLog; replay: ReplayStats }> {
    await mkdir(dir, { recursive: true });
    await lockDir(dir);
    try {
      return await WriteAheadLog.replay(dir, options, onRecord);
    } catch (err) {
      await unlockDir(dir);
      throw err;
    }
  }

  private static async replay(
    dir: string,
    options: WalOptions,
    onRecord: (payload: Buffer, flags: number, seq: number) => void,
  ): Promise<{ wal: WriteAheadLog; replay: ReplayStats }> {
    const wal = new WriteAheadLog(dir, options);
    const stats: ReplayStats = { segments: 0, records: 0, discardedBytes: 0 };
    const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const number = Number(SEGMENT_RE.exec(name)![1]);
      wal.nextNumber = Math.max(wal.nextNumber, number + 1);
      const path = join(dir, name);
      const data = await readFile(path);
      const segment: Segment = { path, number, minSeq: 0, maxSeq: 0, size: data.length };
      if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
        diag.warn(`ams receiver: ${path} is not a WAL segment; leaving it alone`);
        continue;
      }
      const pos = readRecords(data, path, (payload, flags) => {
        const seq = ++wal.seq;
        segment.minSeq ||= seq;
        segment.maxSeq = seq;
        stats.records++;
        onRecord(payload, flags, seq);
      });
      if (pos < data.length) {
        stats.discardedBytes += data.length - pos;
        diag.warn(`ams receiver: discarded ${data.length - pos} trailing bytes of ${path} (a write cut short before it was acknowledged)`);
      }
      stats.segments++;
      if (segment.maxSeq === 0) await unlink(path).catch(() => {});
      else wal.segments.push(segment);
    }
    return { wal, replay: stats };
  }

  /** Appends one record; resolves with its sequence number once it is in the file (and fsync'd if on). */
  append(payload: Buffer, flags: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32LE(payload.length, 0);
    header[8] = flags;
    header.writeUInt32LE(crc32(payload, crc32(header.subarray(8, 9))), 4);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.queue.push({ buffers: [header, payload], bytes: HEADER_BYTES + payload.length, seq, resolve, reject });
      this.kick();
    });
  }

  /**
   * Hands the records numbered `from` to `to` that are still on disk to `onRecord`, in order, while
   * the log stays open (a replaced shard worker rebuilds its traces from them). The caller keeps
   * them from being released meanwhile.
   */
  async read(from: number, to: number, onRecord: (payload: Buffer, flags: number, seq: number) => Promise<void>): Promise<void> {
    for (const segment of [...this.segments]) {
      if (segment.maxSeq < from || segment.minSeq === 0 || segment.minSeq > to) continue;
      let data: Buffer;
      try {
        data = await readFile(segment.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw err;
      }
      const records: Array<{ payload: Buffer; flags: number; seq: number }> = [];
      let seq = segment.minSeq;
      readRecords(data, segment.path, (payload, flags) => {
        if (seq >= from && seq <= to) records.push({ payload, flags, seq });
        seq++;
      });
      for (const r of records) await onRecord(r.payload, r.flags, r.seq);
    }
  }

  /** Records with sequence numbers below `lowWater` are no longer needed; their segments go. */
  release(lowWater: number): void {
    if (this.closed) return;
    // A record handed a number but not yet on disk is not the owner's to release: it cannot have
    // reached a session yet, and once written it would land in a segment marked releasable.
    const pending = this.writing[0]?.seq ?? this.queue[0]?.seq;
    if (pending !== undefined && pending < lowWater) lowWater = pending;
    if (lowWater <= this.releaseBelow) return;
    this.releaseBelow = lowWater;
    this.kick();
  }

  /** Highest sequence number handed out so far. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Bytes on disk across live segments. */
  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Waits for queued appends and deletions, then closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.whenIdle();
    await this.active?.handle?.close();
    if (this.active) this.active.handle = undefined;
    await unlockDir(this.dir);
  }

  private whenIdle(): Promise<void> {
    if (!this.working) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private kick(): void {
    if (this.working) return;
    this.working = true;
    void this.work();
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        if (this.hasReleasable()) await this.deleteReleased();
        else if (this.queue.length) await this.writeBatch(this.queue.splice(0));
        else break;
      }
    } finally {
      this.working = false;
      // Work that arrived between the last check and here would otherwise wait for the next kick.
      if (this.queue.length || this.hasReleasable()) this.kick();
      else for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    this.writing = batch;
    try {
      const segment = await this.activeSegment();
      const buffers = batch.flatMap((p) => p.buffers);
      const bytes = batch.reduce((n, p) => n + p.bytes, 0);
      let written = 0;
      while (written < bytes) {
        const rest = written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)];
        const { bytesWritten } = await segment.handle!.writev(rest);
        written += bytesWritten;
      }
      if (this.fsync) await segment.handle!.datasync();
      segment.size += bytes;
      segment.minSeq ||= batch[0]!.seq;
      segment.maxSeq = batch[batch.length - 1]!.seq;
      for (const p of batch) p.resolve(p.seq);
    } catch (err) {
      // The segment may end in part of this batch: later records go to a fresh one, so every
      // segment's records stay numbered without gaps (read() counts on it).
      await this.retireActive();
      for (const p of batch) p.reject(err);
    } finally {
      this.writing = [];
    }
  }

  private async retireActive(): Promise<void> {
    const segment = this.active;
    if (!segment) return;
    this.active = undefined;
    await segment.handle?.close().catch(() => {});
    segment.handle = undefined;
    if (segment.maxSeq === 0) {
      this.segments.splice(this.segments.indexOf(segment), 1);
      await unlink(segment.path).catch(() => {});
    }
  }

  private async activeSegment(): Promise<Segment> {
    if (this.active && this.active.size >= this.segmentBytes) {
      await this.active.handle?.close();
      this.active.handle = undefined;
      this.active = undefined;
    }
    if (!this.active) {
      const number = this.nextNumber++;
      const path = join(this.dir, `wal-${String(number).padStart(12, '0')}.log`);
      const handle = await open(path, 'a');
      await handle.write(MAGIC);
      if (this.fsync) await handle.datasync();
      this.active = { path, number, minSeq: 0, maxSeq: 0, size: MAGIC.length, handle };
      this.segments.push(this.active);
    }
    return this.active;
  }

  private hasReleasable(): boolean {
    const first = this.segments[0];
    return first !== undefined && first.maxSeq > 0 && first.maxSeq < this.releaseBelow;
  }

  private async deleteReleased(): Promise<void> {
    while (this.hasReleasable()) {
      const segment = this.segments.shift()!;
      if (segment === this.active) {
        // Everything in the active segment is released too: start afresh on the next append.
        await segment.handle?.close();
        this.active = undefined;
      }
      await unlink(segment.path).catch((err: unknown) => diag.warn(`ams receiver: could not delete ${segment.path}: ${String(err)}`));
    }
  }
}

/**
 * Walks a segment's records after its magic, handing each whole, checksummed one to `onRecord`;
 * returns where it stopped (a record cut short or failing its checksum ends the walk).
 */
function readRecords(data: Buffer, path: string, onRecord: (payload: Buffer, flags: number) => void): number {
  let pos = MAGIC.length;
  while (pos + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(pos);
    const crc = data.readUInt32LE(pos + 4);
    const end = pos + HEADER_BYTES + length;
    if (end > data.length) break;
    if (crc32(data.subarray(pos + 8, end)) !== crc) {
      diag.error(`ams receiver: WAL record at ${path}:${pos} fails its checksum; skipping the rest of the segment`);
      break;
    }
    onRecord(data.subarray(pos + HEADER_BYTES, end), data[pos + 8]!);
    pos = end;
  }
  return pos;
}
