/** Parent side of `localAzureProcess`: starts it, asks it for request counts, stops it. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { type FleetGuardConfig, parseConfig } from '../../lib/config.js';
import type { FaultPlan } from '../../tooling/simulator/faults.js';
import type { LocalAzureProcessOptions, ParentMessage, ProcessStats } from './localAzureProcess.js';

export interface RemoteLocalAzure {
  settings: Record<string, string>;
  config: FleetGuardConfig;
  stats(): Promise<ProcessStats>;
  /** Clears the request log (between phases of one benchmark). */
  reset(): Promise<void>;
  faults(plan: FaultPlan): Promise<void>;
  close(): Promise<void>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export async function startLocalAzureProcess(options: LocalAzureProcessOptions): Promise<RemoteLocalAzure> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./localAzureProcess.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) entry?.reject(new Error(`local Azure process: ${message.error}`));
    else entry?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const entry of waiting.values()) entry.reject(new Error(`local Azure process exited with ${code}`));
    waiting.clear();
  });
  const call = <T>(message: DistributiveOmit<ParentMessage, 'id'>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...message, id });
    });
  const settings = await call<Record<string, string>>({ kind: 'start', options });
  return {
    settings,
    config: parseConfig(settings),
    stats: () => call<ProcessStats>({ kind: 'stats' }),
    reset: () => call<void>({ kind: 'reset' }),
    faults: (plan) => call<void>({ kind: 'faults', plan }),
    close: () => call<void>({ kind: 'close' }),
  };
}
