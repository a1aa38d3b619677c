/**
 * docs/configuration.md, rendered from the settings table (`npm run docs:config` writes it;
 * test/config-docs.test.ts fails when the file and the table drift apart).
 */
import { allSettings, expectedOf, parseBoolean, parseString, settingFlag } from './env.js';
import type { Setting, SettingGroup } from './env.js';

const SECTIONS: Array<{ group: SettingGroup | undefined; title: string; intro: string; flags?: string }> = [
  {
    group: 'storage',
    title: 'Storage',
    intro: 'Where sessions are written (processor, receiver) and read (`ams ls`, `show`, `tail`, `export`, `view`).',
    flags: 'every `ams` command that reads sessions, and `ams receiver`',
  },
  {
    group: 'capture',
    title: 'Capture and privacy',
    intro: 'What a session keeps: read by the Claude instrumentation, the any-agent API, and the privacy step before every write (processor and receiver).',
    flags: '`ams receiver`',
  },
  { group: 'emitter', title: 'Claude instrumentation and any-agent API', intro: 'The spans ams-otel emits in your application (`ams-otel/claude`, the generic API).' },
  {
    group: 'writer',
    title: 'Session writer',
    intro: 'How sessions are written, the same for the in-process processor and the receiver.',
    flags: '`ams receiver`',
  },
  { group: 'processor', title: 'In-process processor', intro: '`SessionSpanProcessor` in your application.' },
  {
    group: 'receiver',
    title: 'Receiver',
    intro: 'The OTLP/HTTP receiver: `ams receiver`, or `createReceiver()` / `startReceiver()` from `ams-otel/receiver` (options of the same name win over these).',
    flags: '`ams receiver`',
  },
  {
    group: 'viewer',
    title: 'Viewer',
    intro: 'The web viewer: `ams view`, and the receiver\'s `/ui` (which also requires `AMS_RECEIVER_TOKEN` when one is set; see [viewer access](cli.md#access-host-names-and-the-token)).',
    flags: '`ams view` and `ams receiver`',
  },
  { group: undefined, title: 'Other', intro: 'Settings not yet given a group.' },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultText(s: Setting<unknown>): string {
  if (s.defaultDoc) return s.defaultDoc;
  if (s.default === undefined) return '';
  if (typeof s.default === 'boolean') return s.default ? 'on' : 'off';
  return `\`${String(s.default)}\``;
}

function accepts(s: Setting<unknown>): string {
  if (s.parse === parseBoolean) return 'on / off';
  // Any text will do: saying so adds nothing.
  if (s.parse === parseString) return '';
  return expectedOf(s) ?? '';
}

function row(s: Setting<unknown>, withFlag: boolean): string {
  const flag = settingFlag(s);
  const cells = [`\`${s.env}\``];
  if (withFlag) cells.push(flag ? `\`--${flag}\`${s.writerOnly ? ' (receiver)' : ''}` : 'env only');
  cells.push(cell(defaultText(s)), cell(accepts(s)), cell(s.doc));
  return `| ${cells.join(' | ')} |`;
}

export function renderConfigurationDoc(settings: ReadonlyArray<Setting<unknown>> = allSettings()): string {
  const out: string[] = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/env.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every setting is resolved as **option > environment variable > default**; the environment',
    'applies even when no options object is passed. Each `ams` flag is the environment variable',
    'without `AMS_` (and, for `ams receiver`, without `RECEIVER_`) in lower case: `AMS_LOCAL_DIR` is',
    '`--local-dir`, `AMS_RECEIVER_WAIT_MS` is `ams receiver --wait-ms`. A flag wins over its variable.',
    '',
    'A value a setting does not accept is reported in the same words everywhere, e.g.',
    '`invalid AMS_STORAGE="bogus" (expected local or s3)`:',
    '',
    '- **Inside your application** (processor, Claude instrumentation, any-agent API, `createReceiver`),',
    '  tracing must never break the host: the message goes to OpenTelemetry `diag` (a warning; an',
    '  error for storage) and the default applies: a bad `AMS_STORAGE` counts as unset (local unless',
    '  `AMS_S3_BUCKET` is set), and `AMS_STORAGE=s3` without `AMS_S3_BUCKET` writes to local storage',
    '  (`AMS_LOCAL_DIR`): a session is not lost to a typo.',
    '- **The `ams` command** (the reading commands and `ams receiver`) refuses to start: it prints the',
    '  message and exits with status 2. Booleans accept 1/true/on/yes and 0/false/off/no; a boolean',
    '  flag alone means on (`--wal-fsync`).',
    '',
  ];
  for (const section of SECTIONS) {
    const rows = settings.filter((s) => s.group === section.group);
    if (rows.length === 0) continue;
    out.push(`## ${section.title}`, '', section.intro, '');
    if (section.flags) out.push(`Flags: ${section.flags}.`, '');
    out.push(section.flags ? '| env | flag | default | accepts | meaning |' : '| env | default | accepts | meaning |', section.flags ? '|---|---|---|---|---|' : '|---|---|---|---|');
    for (const s of rows) out.push(row(s, section.flags !== undefined));
    if (section.group === 'receiver') out.push('', '`ams receiver --no-wal` is `AMS_RECEIVER_WAL_DIR=off`.');
    out.push('');
  }
  return out.join('\n');
}
