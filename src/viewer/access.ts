/**
 * Who may reach the viewer (`ams view`, the receiver's `/ui`): two checks, run before any route.
 *
 * 1. The `Host` header must name this server: `localhost`, `127.0.0.1` or `[::1]` with the port
 *    the request arrived on, the literal address it arrived on, or a name in the allow-list
 *    (AMS_VIEWER_ALLOWED_HOSTS). Anything else is 421: that is what a DNS-rebinding page sends
 *    (its own name, now resolving to 127.0.0.1), and what stops it reading sessions from a
 *    browser on the same machine.
 * 2. When a token is set (the receiver's AMS_RECEIVER_TOKEN), every request needs it: the header
 *    `Authorization: Bearer <token>` (scripts), or the viewer cookie (browsers). Opening the page
 *    once with `?token=<token>` sets that cookie (HttpOnly, SameSite=Strict, scoped to the
 *    viewer's path) and redirects to the same URL without the token. The cookie holds a hash
 *    derived from the token, not the token: it cannot be replayed as the receiver's bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** The viewer's cookie name. */
export const VIEWER_COOKIE = 'ams_viewer';

export interface AccessOptions {
  /** Extra Host names: `name` (any port), `name:port`, or `*` (no Host check: behind a proxy that checks it). */
  allowedHosts: readonly string[];
  /** Required credential; unset = no authentication. */
  token?: string;
}

/** `host[:port]` split; the port is undefined when absent. */
function splitHost(host: string): { name: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!m) return { name: host, port: undefined };
  return { name: m[1]!, port: m[2] !== undefined ? Number(m[2]) : undefined };
}

/** The address a connection arrived on, as it would appear in a Host header. */
function hostFormOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.includes(':') ? `[${v4.toLowerCase()}]` : v4;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function hostAllowed(hostHeader: string | undefined, req: Pick<Request, 'socket' | 'secure'>, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  const { name, port } = splitHost(host);
  const localPort = req.socket.localPort;
  // No port in Host means the scheme's default.
  const effectivePort = port ?? (req.secure ? 443 : 80);
  const own = [...LOOPBACK_NAMES, hostFormOf(req.socket.localAddress)];
  if (own.includes(name) && effectivePort === localPort) return true;
  for (const a of allowed) {
    const entry = splitHost(a);
    if (entry.name === name && (entry.port === undefined || entry.port === effectivePort)) return true;
  }
  return false;
}

const cookieValue = (token: string) => createHash('sha256').update(`ams-viewer-cookie\0${token}`).digest('hex');

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookieOf(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function refuse(req: Request, res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).set('Cache-Control', 'no-store');
  if (req.path.startsWith('/api/')) res.json({ error: message });
  else res.type('text/plain').send(`${message}\n`);
}

/** The middleware: Host first, then the token. */
export function viewerAccess(options: AccessOptions) {
  const { allowedHosts, token } = options;
  const expectedCookie = token ? cookieValue(token) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!hostAllowed(req.headers.host, req, allowedHosts)) {
      const port = req.socket.localPort;
      refuse(
        req,
        res,
        421,
        `ams viewer: refused Host "${String(req.headers.host ?? '').slice(0, 100)}": this viewer answers to 127.0.0.1:${port}, localhost:${port} and [::1]:${port}. ` +
          'To reach it under another name, add that name to AMS_VIEWER_ALLOWED_HOSTS (--viewer-allowed-hosts).',
      );
      return;
    }
    if (!token || !expectedCookie) return next();
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (bearer !== undefined && sameSecret(bearer, token)) return next();
    const cookie = cookieOf(req, VIEWER_COOKIE);
    const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (fromQuery !== undefined && req.method === 'GET' && sameSecret(fromQuery, token)) {
      // Once: set the cookie and drop the token from the address bar.
      const url = new URL(req.originalUrl, 'http://viewer.invalid');
      url.searchParams.delete('token');
      const base = `${req.baseUrl}/`;
      // `/ui?token=` lands on `/ui/`: the cookie is scoped to the viewer's folder.
      if (req.path === '/' && !url.pathname.endsWith('/')) url.pathname += '/';
      res
        .set('Cache-Control', 'no-store')
        .cookie(VIEWER_COOKIE, expectedCookie, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: base })
        .redirect(303, `${url.pathname}${url.search}${url.hash}`);
      return;
    }
    if (cookie !== undefined && sameSecret(cookie, expectedCookie)) return next();
    const base = `${req.baseUrl}/`;
    refuse(
      req,
      res,
      401,
      `ams viewer: this viewer needs the receiver's token (AMS_RECEIVER_TOKEN). In a browser, open ${base}?token=<token> once ` +
        '(it sets a cookie for this viewer and removes the token from the address); scripts send Authorization: Bearer <token>.',
      { 'WWW-Authenticate': 'Bearer realm="ams-viewer"' },
    );
  };
}
