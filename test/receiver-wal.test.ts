import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32, crc32Fallback } from '../receiver/wal/crc32.js';
import { WriteAheadLog } from '../receiver/wal/wal.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ams-wal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function reopen(dir: string, options = {}): Promise<{ wal: WriteAheadLog; records: Array<{ payload: string; flags: number; seq: number }>; discarded: number }> {
  const records: Array<{ payload: string; flags: number; seq: number }> = [];
  const { wal, replay } = await WriteAheadLog.open(dir, options, (payload, flags, seq) => records.push({ payload: payload.toString(), flags, seq }));
  return { wal, records, discarded: replay.discardedBytes };
}

const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

describe('write-ahead log', () => {
  it('replays what was appended, in order, across restarts', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir);
    // Concurrent appends are group-committed but keep their order and sequence numbers.
    const seqs = await Promise.all(['a', 'bb', 'ccc'].map((p, i) => wal.append(Buffer.from(p), i)));
    expect(seqs).toEqual([1, 2, 3]);
    await wal.close();
    const again = await reopen(dir, { fsync: true });
    expect(again.records).toEqual([
      { payload: 'a', flags: 0, seq: 1 },
      { payload: 'bb', flags: 1, seq: 2 },
      { payload: 'ccc', flags: 2, seq: 3 },
    ]);
    expect(await again.wal.append(Buffer.from('d'), 0)).toBe(4);
    await again.wal.close();
    expect(segments(dir)).toHaveLength(2);
  });

  it('skips a record cut short at the end of a segment (a write that was never acknowledged)', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir);
    await wal.append(Buffer.from('whole'), 0);
    await wal.append(Buffer.from('cut short'), 0);
    await wal.close();
    const file = join(dir, segments(dir)[0]!);
    truncateSync(file, readFileSync(file).length - 4);
    const again = await reopen(dir);
    expect(again.records.map((r) => r.payload)).toEqual(['whole']);
    expect(again.discarded).toBe(9 + 'cut short'.length - 4);
    await again.wal.close();
  });

  it('stops at a record whose checksum fails', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir);
    await wal.append(Buffer.from('first'), 0);
    await wal.append(Buffer.from('second'), 0);
    await wal.close();
    const file = join(dir, segments(dir)[0]!);
    const data = readFileSync(file);
    data[data.length - 1] ^= 0xff;
    writeFileSync(file, data);
    const again = await reopen(dir);
    expect(again.records.map((r) => r.payload)).toEqual(['first']);
    await again.wal.close();
  });

  it('deletes segments once everything in them is released', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir, { segmentBytes: 32 });
    for (let i = 0; i < 5; i++) await wal.append(Buffer.alloc(20, i), 0);
    expect(segments(dir)).toHaveLength(5);
    wal.release(3); // records 1 and 2 are written elsewhere now
    await wal.append(Buffer.from('x'), 0); // the worker handles releases between writes
    expect(segments(dir)).toHaveLength(4);
    wal.release(wal.lastSeq + 1);
    await wal.close();
    expect(segments(dir)).toHaveLength(0);
    // A fresh start replays nothing.
    const again = await reopen(dir);
    expect(again.records).toEqual([]);
    await again.wal.close();
  });

  it('a release covering an append still being written does not delete that record', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir, { segmentBytes: 1 });
    expect(await wal.append(Buffer.from('old'), 0)).toBe(1);
    // Numbered, not yet on disk: an owner with nothing open releases "everything up to lastSeq".
    const pending = wal.append(Buffer.from('new'), 0);
    wal.release(wal.lastSeq + 1);
    expect(await pending).toBe(2);
    wal.release(wal.lastSeq); // what the owner says once seq 2 is buffered: seq 1 may go
    await wal.close();
    expect((await reopen(dir)).records.map((r) => r.payload)).toEqual(['new']);
  });

  it('read() hands back the records of a range while the log stays open', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir, { segmentBytes: 40 });
    for (const p of ['a', 'b', 'c', 'd', 'e']) await wal.append(Buffer.from(p.repeat(20)), 0);
    const got: Array<[string, number]> = [];
    await wal.read(2, 4, async (payload, _flags, seq) => void got.push([payload.toString()[0]!, seq]));
    expect(got).toEqual([
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
    await wal.close();
  });

  it('leaves files that are not WAL segments alone', async () => {
    const dir = tempDir();
    appendFileSync(join(dir, 'wal-000000000007.log'), 'hello');
    const again = await reopen(dir);
    expect(again.records).toEqual([]);
    expect(await again.wal.append(Buffer.from('a'), 0)).toBe(1);
    await again.wal.close();
    expect(segments(dir)).toEqual(['wal-000000000007.log', 'wal-000000000008.log']);
  });

  it('one log per directory: a live owner is refused, a dead one (kill -9) is taken over', async () => {
    const dir = tempDir();
    const { wal } = await reopen(dir);
    await expect(reopen(dir)).rejects.toThrow(/already open in this process/);
    await wal.close();
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    await expect(reopen(dir)).rejects.toThrow(`write-ahead log ${dir} is in use by process ${process.ppid}`);
    writeFileSync(join(dir, 'LOCK'), '99999999');
    const again = await reopen(dir);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    await again.wal.close();
  });

  it('the table CRC-32 matches zlib', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32Fallback(data)).toBe(0x414fa339);
    expect(crc32(data)).toBe(0x414fa339);
    expect(crc32Fallback(data.subarray(10), crc32Fallback(data.subarray(0, 10)))).toBe(0x414fa339);
  });
});
