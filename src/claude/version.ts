/** Instrumentation scope of the spans this package emits. Keep in step with package.json. */
import { AMS_CLAUDE_SCOPE } from '../spans/semconv.js';

export const INSTRUMENTATION_NAME = AMS_CLAUDE_SCOPE;
export const INSTRUMENTATION_VERSION = '0.1.0';
