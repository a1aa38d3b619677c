/**
 * createViewerRouter(): the web viewer and its query API as one Express router, mounted at `/`
 * by `ams view` and under `/ui` by the receiver.
 *
 *   GET /                   the page (one HTML file, one script, one stylesheet; no CDN): the
 *                           files in ./page, embedded in ./page/embedded.ts by ./page/embed.mjs
 *   GET /api/sessions       index entries: filters, offset/limit, summary and facets
 *   GET /api/sessions/:id   one session by id, trace id or conversation id (?download=1 to save)
 *   GET /api/stats          figures over the matching sessions, grouped (?group_by=agent.version)
 *
 * Before any route: a foreign `Host` is refused (421, DNS rebinding) and, when a token is set,
 * the token is required (./access.ts).
 *
 * Every response carries a strict Content-Security-Policy: scripts and styles only from this
 * router, no inline code, no frames, no outside connections; the page renders session content
 * with textContent only.
 */
import { diag } from '@opentelemetry/api';
import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { FILTER_PARAMS, FilterError, parseFilter, unknownParams } from '../query/filter.js';
import type { RawFilter, SessionFilter } from '../query/filter.js';
import { lookupSession } from '../query/lookup.js';
import { facets, querySessions, sortNewestFirst } from '../query/query.js';
import type { Facets } from '../query/query.js';
import { IndexCache } from '../query/index-cache.js';
import { computeStats, DEFAULT_GROUP_BY } from '../query/stats.js';
import type { SessionIndexEntry } from '../session/types.js';
import type { SessionReader } from '../storage/types.js';
import { resolve, SETTINGS } from '../config/env.js';
import type { Env } from '../config/env.js';
import { viewerAccess } from './access.js';
import { APP_JS, INDEX_HTML, STYLES_CSS } from './page/embedded.js';

export interface ViewerOptions {
  /** Where sessions are read from (LocalStorage, S3Storage or any SessionReader). */
  reader: SessionReader;
  /**
   * How long one pass over the index serves later requests (default 2000 ms): paging and typing
   * in the search box do not each re-read thousands of index files (and on S3 a refresh fetches
   * only new or changed entries). 0 = read on every request.
   */
  cacheMs?: number;
  /**
   * More `Host` names to answer to (besides localhost, 127.0.0.1, [::1] and the listening
   * address, on the listening port); others get 421. Env AMS_VIEWER_ALLOWED_HOSTS.
   */
  allowedHosts?: readonly string[];
  /** When set, every request needs it (Bearer header, or the cookie `?token=` sets). The receiver passes its own. */
  token?: string;
  /** Environment to read AMS_VIEWER_ALLOWED_HOSTS from (default process.env); options win. */
  env?: Env;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Page size of /api/sessions when none is asked for, and the most one request may ask for. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

interface Snapshot {
  source: SessionIndexEntry[];
  sorted: SessionIndexEntry[];
  facets: Facets;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function rawFilter(query: Request['query']): RawFilter {
  const out: RawFilter = {};
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/** The filter of a request; an unknown parameter or a bad value is a 400 that says why. */
function filterOf(query: Request['query'], extra: readonly string[]): SessionFilter {
  const raw = rawFilter(query);
  // `token` is the access middleware's (it redirects without it; harmless when no token is set).
  const unknown = unknownParams(raw, [...extra, 'token']);
  if (unknown.length) throw new ApiError(400, `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; filters: ${FILTER_PARAM_LIST}, and ${extra.join(', ')}`);
  try {
    return parseFilter(raw);
  } catch (err) {
    if (err instanceof FilterError) throw new ApiError(400, err.message);
    throw err;
  }
}

const FILTER_PARAM_LIST = FILTER_PARAMS.join(', ');

function pageParam(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0) throw new ApiError(400, `${name} must be a non-negative integer`);
  return n;
}

export function createViewerRouter(options: ViewerOptions): Router {
  const { reader } = options;
  const cache = new IndexCache(reader, options.cacheMs ?? 2000);
  let snapshot: Snapshot | undefined;

  /** The index, sorted newest first, with its facets; recomputed only when the cache refreshed. */
  const index = async (): Promise<Snapshot> => {
    const entries = await cache.get();
    if (snapshot?.source !== entries) snapshot = { source: entries, sorted: sortNewestFirst(entries), facets: facets(entries) };
    return snapshot;
  };

  const router = Router();
  const allowedHosts = resolve(SETTINGS.viewerAllowedHosts, options.allowedHosts, options.env ?? process.env);

  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    next();
  });
  router.use(viewerAccess({ allowedHosts, token: options.token }));

  router.get('/', (req, res) => {
    // Mounted under /ui, "/ui" must become "/ui/" so the page's relative URLs resolve inside it.
    const [pathname, search] = req.originalUrl.split('?', 2) as [string, string | undefined];
    if (!pathname.endsWith('/')) {
      res.redirect(308, `${pathname}/${search !== undefined ? `?${search}` : ''}`);
      return;
    }
    res.type('html').set('Cache-Control', 'no-cache').send(INDEX_HTML);
  });
  router.get('/assets/app.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(APP_JS);
  });
  router.get('/assets/styles.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'no-cache').send(STYLES_CSS);
  });

  router.get('/api/sessions', async (req, res) => {
    const filter = filterOf(req.query, ['offset', 'limit']);
    const offset = pageParam(req.query.offset, 'offset', 0);
    const limit = Math.min(MAX_PAGE, pageParam(req.query.limit, 'limit', DEFAULT_PAGE) || DEFAULT_PAGE);
    const snap = await index();
    const result = querySessions(snap.sorted, filter, { offset, limit }, true);
    res.set('Cache-Control', 'no-store').json({ ...result, facets: snap.facets, indexed: snap.sorted.length });
  });

  router.get('/api/stats', async (req, res) => {
    const filter = filterOf(req.query, ['group_by']);
    const raw = req.query.group_by ?? req.query['group-by'];
    const groupBy = typeof raw === 'string' && raw.trim() !== '' ? raw : DEFAULT_GROUP_BY;
    let stats;
    try {
      stats = computeStats((await index()).source, filter, groupBy);
    } catch (err) {
      if (err instanceof FilterError) throw new ApiError(400, err.message);
      throw err;
    }
    res.set('Cache-Control', 'no-store').json(stats);
  });

  router.get('/api/sessions/:id', async (req, res) => {
    const ref = String(req.params.id);
    // The cached index (a refresh reads only new segments), not a lookup by id: with index
    // segments that would read every segment, and the trace-id fallback would read them again.
    const found = await lookupSession(reader, ref, await cache.get());
    if (!found.session) {
      const why = found.candidates.length > 1 ? `"${ref}" is the start of ${found.candidates.length} session ids` : `no session with id, trace id or conversation id "${ref}"`;
      throw new ApiError(404, why);
    }
    res.set('Cache-Control', 'no-store');
    if (found.matchedBy) res.set('X-Ams-Matched-By', found.matchedBy);
    if (found.candidates.length > 1) res.set('X-Ams-Candidates', String(found.candidates.length));
    if (req.query.download !== undefined) {
      // The id is storage-safe ([A-Za-z0-9._-]), so it is safe in the header as well.
      res.set('Content-Disposition', `attachment; filename="ams-session-${found.session.id.replace(/[^A-Za-z0-9._-]/g, '_')}.json"`);
      res.type('application/json').send(JSON.stringify(found.session, null, 2));
      return;
    }
    res.json(found.session);
  });

  router.use('/api', (req, _res, next) => {
    next(new ApiError(404, `no API route for ${req.method} ${req.originalUrl.split('?')[0]}`));
  });

  // Express 5 routes async errors here; answer JSON, never a stack trace.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    diag.error(`ams viewer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json({ error: 'internal error reading sessions (see the server log)' });
  });

  return router;
}
