/**
 * The one settings table: docs/configuration.md is generated from it (and fails here when they
 * drift), the CLI's flags and --help derive from it, and a bad setting is the same message for
 * writers (diag, then the default: the host never sees an exception) and readers (refused).
 */
import { diag } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECEIVER_USAGE, runReceiverFromCli } from '../cli/commands/receiver.js';
import { program } from '../cli/run.js';
import { renderConfigurationDoc } from '../src/config/docs.js';
import { allSettings, resolve, SETTINGS, SettingError, settingFlag } from '../src/config/env.js';
import { emitAgentRun } from '../src/demo/synthetic-agent.js';
import { LocalStorage, SessionSpanProcessor, storageFromEnv } from '../src/index.js';
import type { Session } from '../src/index.js';
import { ReaderConfigError, readerFromEnv } from '../src/query/reader.js';
import { RECEIVER_CONFIG } from '../receiver/options.js';
import { tempDir } from './support/tmp.js';

const root = path.resolve(import.meta.dirname, '..');

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('docs/configuration.md', () => {
  it('is what the settings table renders (run `npm run docs:config` after changing the table)', () => {
    const committed = readFileSync(path.join(root, 'docs/configuration.md'), 'utf8');
    expect(committed, 'docs/configuration.md is out of date: run `npm run docs:config`').toBe(renderConfigurationDoc());
  });

  it('has one table row per setting, with its flag', () => {
    const committed = readFileSync(path.join(root, 'docs/configuration.md'), 'utf8');
    for (const s of allSettings()) {
      const row = committed.split('\n').find((l) => l.startsWith(`| \`${s.env}\` |`));
      expect(row, s.env).toBeDefined();
      const flag = settingFlag(s);
      if (flag && s.group && ['storage', 'capture', 'writer', 'receiver'].includes(s.group)) expect(row).toContain(`\`--${flag}\``);
    }
  });
});

describe('flags derive from the table', () => {
  it('AMS_LOCAL_DIR is --local-dir, receiver settings drop RECEIVER_, secrets have no flag', () => {
    expect(settingFlag(SETTINGS.localDir)).toBe('local-dir');
    expect(settingFlag(SETTINGS.s3Endpoint)).toBe('s3-endpoint-url');
    expect(settingFlag(SETTINGS.receiverWaitMs)).toBe('wait-ms');
    expect(settingFlag(SETTINGS.receiverToken)).toBeUndefined();
  });

  it('every reading command takes the storage flags (not --dir), with their variables in --help', () => {
    const ams = program({ env: {}, code: 0 });
    for (const name of ['ls', 'show', 'tail', 'export', 'view']) {
      const cmd = ams.commands.find((c) => c.name() === name)!;
      const help = cmd.helpInformation();
      for (const s of [SETTINGS.storage, SETTINGS.localDir, SETTINGS.s3Bucket, SETTINGS.s3Prefix, SETTINGS.s3Endpoint, SETTINGS.s3Region]) {
        expect(help, `${name} --${settingFlag(s)}`).toContain(`--${settingFlag(s)}`);
        expect(help).toContain(s.env);
      }
      expect(cmd.options.map((o) => o.long)).not.toContain('--dir');
    }
  });

  it('ams receiver takes a flag for every receiver, storage and capture setting that has one, and lists the rest', () => {
    for (const s of allSettings().filter((x) => x.group && ['storage', 'capture', 'writer', 'receiver'].includes(x.group))) {
      const flag = settingFlag(s);
      if (flag) expect(RECEIVER_USAGE).toMatch(new RegExp(`--${flag} `));
      expect(RECEIVER_USAGE).toContain(s.env);
    }
    // Each receiver option resolves through its row of the table.
    for (const [, s] of Object.entries(RECEIVER_CONFIG)) expect(allSettings()).toContain(s);
  });

  it('flags override their variables; a boolean flag alone means on, and takes off/false too', async () => {
    const dir = tempDir('flags');
    const env = { AMS_RECEIVER_WAL_FSYNC: 'false', AMS_RECEIVER_WAIT_MS: '999', AMS_LOCAL_DIR: dir };
    const on = await runReceiverFromCli(['--port', '0', '--workers', '0', '--wal-fsync', '--wait-ms', '5'], env, { print: () => {} });
    try {
      expect(on!.receiver.config).toMatchObject({ walFsync: true, waitMs: 5, walDir: path.join(dir, 'receiver-wal') });
    } finally {
      await on!.stop();
    }
    const off = await runReceiverFromCli(['--port', '0', '--workers', '0', '--wal-fsync', 'off', '--no-wal'], { ...env, AMS_RECEIVER_WAL_FSYNC: 'on' }, { print: () => {} });
    try {
      expect(off!.receiver.config).toMatchObject({ walFsync: false, waitMs: 999, walDir: false });
    } finally {
      await off!.stop();
    }
  });

  it('a bad flag value is refused with the same words as a bad variable', async () => {
    await expect(runReceiverFromCli(['--wait-ms', 'soon'], {}, { print: () => {} })).rejects.toThrow(
      new SettingError('invalid --wait-ms="soon" (expected a non-negative integer)'),
    );
    await expect(runReceiverFromCli([], { AMS_RECEIVER_WAIT_MS: 'soon' }, { print: () => {} })).rejects.toThrow(
      new SettingError('invalid AMS_RECEIVER_WAIT_MS="soon" (expected a non-negative integer)'),
    );
  });
});

describe('a bad setting: the same message for writers and readers', () => {
  const BAD_KIND = 'invalid AMS_STORAGE="bogus" (expected local or s3)';
  const NO_BUCKET = 'AMS_STORAGE=s3 needs AMS_S3_BUCKET';

  it('the library warns and falls back to the default', () => {
    const warn = vi.spyOn(diag, 'warn');
    expect(resolve(SETTINGS.captureContent, undefined, { AMS_CAPTURE_CONTENT: 'maybe' })).toBe(true);
    expect(warn).toHaveBeenCalledWith('ams-otel: ignoring invalid AMS_CAPTURE_CONTENT="maybe" (expected one of 1/true/on/yes or 0/false/off/no); using true');
  });

  it('writers (storageFromEnv) report it through diag.error and write locally instead', async () => {
    const error = vi.spyOn(diag, 'error');
    for (const [env, message] of [
      [{ AMS_STORAGE: 'bogus' }, BAD_KIND],
      [{ AMS_STORAGE: 's3' }, NO_BUCKET],
    ] as const) {
      const dir = tempDir('bad-setting');
      const storage = storageFromEnv({ ...env, AMS_LOCAL_DIR: dir });
      expect(storage).toBeInstanceOf(LocalStorage);
      expect((storage as LocalStorage).dir).toBe(dir);
      expect(error).toHaveBeenLastCalledWith(expect.stringContaining(message));
    }
  });

  it('readers (readerFromEnv, behind every ams reading command) refuse with the same message', async () => {
    await expect(readerFromEnv({ AMS_STORAGE: 'bogus' })).rejects.toThrow(new ReaderConfigError(BAD_KIND));
    await expect(readerFromEnv({ AMS_STORAGE: 's3' })).rejects.toThrow(new ReaderConfigError(NO_BUCKET));
    await expect(readerFromEnv({ AMS_STORAGE: 's3' })).rejects.toBeInstanceOf(SettingError);
  });

  it('the in-process processor never throws into the host: the session lands in local storage', async () => {
    const dir = tempDir('bad-setting-processor');
    vi.stubEnv('AMS_STORAGE', 'bogus');
    vi.stubEnv('AMS_LOCAL_DIR', dir);
    const error = vi.spyOn(diag, 'error');
    const provider = new NodeTracerProvider({ spanProcessors: [new SessionSpanProcessor()] });
    const run = emitAgentRun(provider.getTracer('agent'));
    await provider.shutdown();
    expect(error).toHaveBeenCalledWith(expect.stringContaining(BAD_KIND));
    const session = (await new LocalStorage({ dir, env: {} }).getSession(run.traceId)) as Session | undefined;
    expect(session?.trace_id).toBe(run.traceId);
  });
});
