/** The web viewer: an Express router with the page and the query API. */
export { createViewerRouter, CONTENT_SECURITY_POLICY, DEFAULT_PAGE, MAX_PAGE } from './router.js';
export type { ViewerOptions } from './router.js';
