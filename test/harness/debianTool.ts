/**
 * A command-line tool the tests need from Debian's packages (kubectl, jq): the one on PATH, or
 * installed with apt first when there is none, as the Chromium harness does. Nothing is skipped
 * silently: if no package installs it, the test fails with apt's own words.
 */
import { spawnSync } from 'node:child_process';

function onPath(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const location = found.stdout.trim();
  return found.status === 0 && location !== '' ? location : undefined;
}

const resolved = new Map<string, string>();

/** The path of `command`, installing the first of `packages` that provides it when it is missing. */
export function debianTool(command: string, packages: readonly string[]): string {
  const known = resolved.get(command) ?? onPath(command);
  if (known !== undefined) {
    resolved.set(command, known);
    return known;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  const failures: string[] = [];
  for (const name of packages) {
    const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], { env, encoding: 'utf8' });
    const location = onPath(command);
    if (location !== undefined) {
      resolved.set(command, location);
      return location;
    }
    failures.push(`'apt-get install ${name}' exit ${String(install.status)}: ${(install.stderr ?? '').trim().slice(-300)}`);
  }
  throw new Error(`${command} is missing and could not be installed: ${failures.join('; ')}`);
}
