/**
 * The load generator for bench/receiver.ts, run as its own process so it does not share the
 * receiver's event loop: posts length-prefixed OTLP payloads (protobuf unless told) from a file, `concurrency`
 * at a time over keep-alive connections, and prints one JSON line with what it saw.
 *
 *   node --import tsx bench/receiver-poster.ts <payload-file> <url> <concurrency> [requests-per-second] [content-type]
 *
 * With a rate, requests start on a fixed schedule (open loop) instead of as fast as possible.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [file, url, concurrencyArg, rateArg, contentTypeArg] = process.argv.slice(2);
const contentType = contentTypeArg ?? 'application/x-protobuf';
const concurrency = Number(concurrencyArg ?? 4);
const rate = Number(rateArg ?? 0);
const data = readFileSync(file!);
const payloads: Buffer[] = [];
for (let pos = 0; pos < data.length; ) {
  const len = data.readUInt32LE(pos);
  payloads.push(data.subarray(pos + 4, pos + 4 + len));
  pos += 4 + len;
}
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url!, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const statuses: Record<number, number> = {};
let next = 0;
const started = performance.now();
const startedEpoch = Date.now();
async function worker(): Promise<void> {
  while (next < payloads.length) {
    const index = next++;
    const body = payloads[index]!;
    if (rate > 0) {
      const due = started + (index * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    let status = await post(body);
    // 503 = back-pressure: honour it like an exporter would (briefly, to keep the run short).
    while (status === 503) {
      await new Promise((r) => setTimeout(r, 20));
      status = await post(body);
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const ms = performance.now() - started;
agent.destroy();
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ requests: payloads.length, ms, startedEpoch, statuses, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
