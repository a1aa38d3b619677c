/**
 * `ams-otel/viewer`: the web viewer, an Express router with the page and the query API. Its
 * Content-Security-Policy is exported for apps that mount the router behind their own headers.
 * test/package-surface.test.ts fails when this list changes.
 */
export { createViewerRouter, CONTENT_SECURITY_POLICY } from './router.js';
export type { ViewerOptions } from './router.js';
