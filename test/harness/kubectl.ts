/**
 * A real `kubectl`, nobody here wrote it, run against the simulator's Kubernetes API stand-in.
 * Installed with apt when missing, as the Chromium harness does: `kubectl` where a Kubernetes apt
 * repository is configured, else Debian's own `kubernetes-client` package (which ships
 * /usr/bin/kubectl). Nothing is skipped silently: if neither installs, the test fails with apt's
 * reason.
 *
 * kubectl reads its cluster, CA and credentials from a kubeconfig file, so each run gets one in a
 * temporary folder (removed by `close`), with a static bearer token (no exec plugin), and its own
 * HOME and discovery cache so nothing from the machine's ~/.kube leaks in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { debianTool } from './debianTool.js';

/** The kubectl on PATH, installing it with apt first when there is none (Debian's `kubernetes-client` where no Kubernetes apt source is configured). */
export function kubectlExecutable(): string {
  return debianTool('kubectl', ['kubectl', 'kubernetes-client']);
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  /** The kubeconfig file kubectl reads (static token). */
  kubeconfig: string;
  /**
   * Runs kubectl asynchronously: the stand-in answers from this same process, so a synchronous
   * spawn would never get its answers.
   */
  run(args: readonly string[], options?: { timeoutMs?: number }): Promise<KubectlResult>;
  close(): void;
}

/** A kubectl bound to one server (URL with the cluster's path prefix), its CA and a bearer token. */
export function kubectlFor(server: string, caPem: string, token: string): Kubectl {
  const executable = kubectlExecutable();
  const folder = mkdtempSync(path.join(tmpdir(), 'fleetguard-kubectl-'));
  const kubeconfig = path.join(folder, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'stand-in', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'fleetguard' } }],
      'current-context': 'stand-in',
      users: [{ name: 'fleetguard', user: { token } }],
    }),
    { mode: 0o600 },
  );
  return {
    kubeconfig,
    run(args, options = {}) {
      return new Promise((resolve) => {
        execFile(
          executable,
          ['--kubeconfig', kubeconfig, '--cache-dir', path.join(folder, 'cache'), '--request-timeout', '20s', ...args],
          {
            encoding: 'utf8',
            timeout: options.timeoutMs ?? 30_000,
            maxBuffer: 32 * 1024 * 1024,
            env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: folder, KUBECONFIG: kubeconfig },
          },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    close() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
