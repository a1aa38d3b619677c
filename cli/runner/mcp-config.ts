/**
 * MCP servers for `ams run` from Claude Code's own file format: `.mcp.json` in the working
 * directory (or the file `--mcp-config` names), `{"mcpServers": {"<name>": {...}}}` with stdio
 * (`command`, `args`, `env`), `http` and `sse` (`url`, `headers`) servers. `${VAR}` and
 * `${VAR:-default}` are expanded in commands, arguments, URLs, headers and env values, as Claude
 * Code does. A malformed file is refused with a message naming the file and the problem.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Env } from '../../src/config/env.js';
import { UsageError } from '../common.js';

const strings = z.record(z.string(), z.string());
const common = { timeout: z.number().optional(), alwaysLoad: z.boolean().optional() };

const StdioServer = z.looseObject({ type: z.literal('stdio').optional(), command: z.string().min(1), args: z.array(z.string()).optional(), env: strings.optional(), ...common });
const RemoteServer = z.looseObject({ type: z.enum(['http', 'sse']), url: z.string().min(1), headers: strings.optional(), ...common });
const McpFile = z.looseObject({ mcpServers: z.record(z.string().min(1), z.looseObject({})) });

export type McpServer = z.infer<typeof StdioServer> | z.infer<typeof RemoteServer>;

export interface McpConfig {
  /** The file read (absolute), or undefined when there was none. */
  file?: string;
  servers: Record<string, McpServer>;
}

/** `${VAR}` / `${VAR:-default}`; an unset variable without a default is an error (as in Claude Code). */
function expand(text: string, env: Env, missing: Set<string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    missing.add(name);
    return '';
  });
}

type Expand = (text: string) => string;
const expandMap = (r: Record<string, string> | undefined, x: Expand) => (r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, x(v)])) : undefined);

function expandStdio(server: z.infer<typeof StdioServer>, x: Expand): McpServer {
  return { ...server, command: x(server.command), args: server.args?.map(x), env: expandMap(server.env, x) };
}

function expandRemote(server: z.infer<typeof RemoteServer>, x: Expand): McpServer {
  return { ...server, url: x(server.url), headers: expandMap(server.headers, x) };
}

const SHAPE = 'expected {"mcpServers": {"<name>": {"command": "...", "args": [...]} or {"type": "http" | "sse", "url": "..."}}}';

function problem(file: string, at: PropertyKey[], issue: z.core.$ZodIssue): UsageError {
  const where = [...at, ...issue.path].map(String).join('.') || '(top level)';
  const message = issue.message.replace(/^Invalid input: /, '');
  return new UsageError(`malformed MCP config ${file}: ${where}: ${message} (${SHAPE})`);
}

/**
 * Reads the MCP servers: `explicit` (from `--mcp-config`, must exist) or `.mcp.json` in `cwd`
 * (optional). Throws UsageError (exit 2) for a missing explicit file or a malformed one.
 */
export function loadMcpConfig(cwd: string, explicit: string | undefined, env: Env): McpConfig {
  const file = path.resolve(cwd, explicit ?? '.mcp.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (explicit === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
    throw new UsageError(`cannot read the MCP config ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`malformed MCP config ${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = McpFile.safeParse(json);
  if (!parsed.success) throw problem(file, [], parsed.error.issues[0]!);
  const missing = new Set<string>();
  const servers: Record<string, McpServer> = {};
  for (const [name, raw] of Object.entries(parsed.data.mcpServers)) {
    const x: Expand = (text) => expand(text, env, missing);
    // Told apart by `type`, so the message is about the kind of server the file meant.
    if (raw.type === 'http' || raw.type === 'sse') {
      const server = RemoteServer.safeParse(raw);
      if (!server.success) throw problem(file, ['mcpServers', name], server.error.issues[0]!);
      servers[name] = expandRemote(server.data, x);
    } else {
      const server = StdioServer.safeParse(raw);
      if (!server.success) throw problem(file, ['mcpServers', name], server.error.issues[0]!);
      servers[name] = expandStdio(server.data, x);
    }
  }
  if (missing.size) throw new UsageError(`MCP config ${file} uses ${[...missing].map((n) => `\${${n}}`).join(', ')}, not set in the environment`);
  return { file, servers };
}
