/**
 * Child process for the two-process test: merges `count` interactions of one session into a
 * LocalStorage folder through a SessionWriter of its own (read, merge, write on condition). The
 * children start writing together (each marks itself ready and waits for `parties` marks), so
 * their writes overlap rather than run one process after the other.
 *   node --import tsx test/support/merge-child.ts <dir> <sessionId> <first> <count> <parties>
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { LocalStorage } from '../../src/storage/local.js';
import { SessionWriter } from '../../src/writer/SessionWriter.js';
import { interactionBatch } from './interaction.js';

const [dir, sessionId, first, count, parties] = process.argv.slice(2);
const barrier = `${dir}-ready`;
writeFileSync(`${barrier}-${process.pid}`, '');
const folder = barrier.slice(0, barrier.lastIndexOf('/'));
const name = barrier.slice(barrier.lastIndexOf('/') + 1);
while (readdirSync(folder).filter((f) => f.startsWith(`${name}-`)).length < Number(parties)) {
  await new Promise((r) => setTimeout(r, 2));
}
const storage = new LocalStorage({ dir, env: {} });
const writer = new SessionWriter({ storage, env: {}, spoolDir: `${dir}-spool-${process.pid}` });
const outcomes: string[] = [];
const base = Date.UTC(2026, 11, 3, 12, 0, 0);
for (let i = Number(first); i < Number(first) + Number(count); i++) {
  const traceId = i.toString(16).padStart(32, '0');
  outcomes.push(await writer.write(interactionBatch({ traceId, at: base + i * 1000, sessionId, prompt: `prompt ${i}` })));
}
await writer.settle();
process.stdout.write(JSON.stringify(outcomes));
