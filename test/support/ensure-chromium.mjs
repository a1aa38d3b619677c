#!/usr/bin/env node
/* global process, console */
// `npm test` pre-step: the viewer's browser tests drive Debian's Chromium (playwright-core cannot
// download a browser here). When it is missing and we may install system packages (root, apt-get),
// install it; otherwise say what to do. AMS_CHROMIUM points at another binary; set
// AMS_SKIP_BROWSER_INSTALL=1 to never install anything.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const binary = process.env.AMS_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(binary)) process.exit(0);

const canInstall =
  process.env.AMS_SKIP_BROWSER_INSTALL !== '1' &&
  process.platform === 'linux' &&
  typeof process.getuid === 'function' &&
  process.getuid() === 0 &&
  existsSync('/usr/bin/apt-get');

if (!canInstall) {
  console.warn(`ams-otel tests: ${binary} is missing; the viewer's browser tests will fail. Install Debian's chromium (apt-get install -y chromium) or set AMS_CHROMIUM.`);
  process.exit(0);
}

console.log('ams-otel tests: installing Debian chromium for the viewer tests (apt-get install -y chromium)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch (err) {
  console.warn(`ams-otel tests: could not install chromium (${err.message}); the viewer's browser tests will fail.`);
}
