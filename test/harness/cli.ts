import { spawn } from 'node:child_process';
import path from 'node:path';

import { projectRoot } from './fixtures.js';

/** Runs the built CLI asynchronously (a simulator in this process can answer it). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'lib', 'cli', 'main.js'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Runs the CLI's own `main` (lib/cli/main.ts: commander, the commands, the exit-status mapping) in
 * this process, capturing what it writes: for tests about a command's behaviour rather than the
 * process boundary, which each command family keeps at least one `runCli` test for. It skips the
 * ~2 s a process spends loading the SDKs, the simulator and Azurite. Commands that read settings get
 * `process.env` (as a process would): run these one at a time, not in parallel.
 */
export async function runCliInProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = await import('../../lib/cli/main.js');
  let stdout = '';
  let stderr = '';
  const status = await main([process.execPath, 'fleetguard', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    width: undefined,
    env: process.env,
  });
  return { status, stdout, stderr };
}
