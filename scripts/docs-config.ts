/**
 * Writes docs/configuration.md from the settings table (src/config/env.ts):
 *   npm run docs:config
 * test/config-docs.test.ts fails when the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/docs.js';

const file = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(file, renderConfigurationDoc());
console.log(`wrote ${file.pathname}`);
