import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECEIVER_USAGE, runReceiverFromCli } from '../cli/commands/receiver.js';
import { resolveReceiverOptions } from '../receiver/options.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('receiver configuration: options > env > default', () => {
  it('defaults: loopback, port 4319, WAL under AMS_LOCAL_DIR', () => {
    const c = resolveReceiverOptions({}, {});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4319, waitMs: 2000, idleMs: 30_000, retainMs: 30_000, walFsync: false, walDir: 'ams-data/receiver-wal' });
    expect(c.token).toBeUndefined();
    expect(resolveReceiverOptions({}, { AMS_LOCAL_DIR: '/data' }).walDir).toBe('/data/receiver-wal');
  });

  it('env applies with no options object at all, and options win over env', () => {
    vi.stubEnv('AMS_RECEIVER_WAIT_MS', '500');
    vi.stubEnv('AMS_RECEIVER_TOKEN', 'tok');
    expect(resolveReceiverOptions()).toMatchObject({ waitMs: 500, token: 'tok' });
    expect(resolveReceiverOptions({ waitMs: 10 })).toMatchObject({ waitMs: 10, token: 'tok' });
    expect(resolveReceiverOptions({}, { AMS_RECEIVER_WAL_DIR: 'off', AMS_RECEIVER_WAL_FSYNC: 'true' })).toMatchObject({ walDir: false, walFsync: true });
  });

  it('a bad env value warns and falls back to the default', () => {
    const warn = vi.spyOn(diag, 'warn');
    expect(resolveReceiverOptions({}, { AMS_RECEIVER_PORT: 'http', AMS_RECEIVER_MAX_TRACES: '-3' })).toMatchObject({ port: 4319, maxTraces: 10_000 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ignoring invalid AMS_RECEIVER_PORT="http"'));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('AMS_RECEIVER_MAX_TRACES'));
  });
});

describe('ams receiver (runReceiverFromCli)', () => {
  it('--help prints every flag and setting and starts nothing', async () => {
    const lines: string[] = [];
    expect(await runReceiverFromCli(['--help'], {}, { print: (l) => lines.push(l) })).toBeUndefined();
    expect(lines.join('\n')).toBe(RECEIVER_USAGE);
    for (const s of ['--port', '--wait-ms', '--no-wal', 'AMS_RECEIVER_TOKEN', 'AMS_RECEIVER_MAX_DECOMPRESSED_BYTES']) expect(RECEIVER_USAGE).toContain(s);
  });

  it('flags override the environment', async () => {
    const lines: string[] = [];
    const running = await runReceiverFromCli(['--port', '0', '--no-wal', '--wait-ms', '123', '--workers', '1', '--local-dir', '/tmp/ams-cli-test'], { AMS_RECEIVER_WAIT_MS: '999', AMS_RECEIVER_WORKERS: '3' }, {
      print: (l) => lines.push(l),
    });
    try {
      expect(running!.receiver.config).toMatchObject({ waitMs: 123, walDir: false, host: '127.0.0.1', workers: 1 });
      expect(lines[0]).toMatch(/^ams receiver listening on http:\/\/127\.0\.0\.1:\d+\/v1\/traces \(auth: none; workers: 1; WAL: off\)$/);
      expect((await fetch(`${running!.url}/health`)).status).toBe(200);
    } finally {
      await running!.stop();
    }
  });

  it('refuses unknown flags', async () => {
    await expect(runReceiverFromCli(['--prot', '1'], {}, { print: () => {} })).rejects.toThrow('unknown flag --prot; did you mean --port?');
  });
});
