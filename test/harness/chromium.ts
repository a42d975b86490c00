/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, driven by playwright-core
 * (which downloads no browser of its own). Installed with apt when missing, as the issue asks of
 * the test setup; a machine where apt cannot run gets a message saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumExecutable(): string {
  const present = CANDIDATES.find((candidate) => existsSync(candidate));
  if (present !== undefined) return present;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, encoding: 'utf8' });
  const installed = CANDIDATES.find((candidate) => existsSync(candidate));
  if (installed === undefined)
    throw new Error(`Chromium is missing and 'apt-get install chromium' failed (exit ${String(install.status)}): ${(install.stderr ?? '').slice(-400)}`);
  return installed;
}
