import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { projectRoot } from './fixtures.js';

export const eventFixtureDirectory = path.join(projectRoot, 'test', 'fixtures', 'eventgrid');

export function eventFixtureNames(): string[] {
  return readdirSync(eventFixtureDirectory)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/**
 * A documented sample event, with its placeholders (`{cluster}`, `<SubscriptionID>`, ...) replaced,
 * and fields overridden. `cluster` is the ARM id of the cluster the event is about.
 */
export function sampleEvent(
  name: string,
  options: { cluster?: string; id?: string; time?: string; data?: Record<string, unknown>; subject?: string } = {},
): Record<string, unknown> {
  const event = JSON.parse(readFileSync(path.join(eventFixtureDirectory, name), 'utf8')) as Record<string, unknown>;
  const cloud = 'specversion' in event;
  if (options.cluster !== undefined && name.startsWith('aks-')) {
    event[cloud ? 'source' : 'topic'] = options.cluster;
    event['subject'] = options.cluster.split('/').at(-1);
  }
  if (options.subject !== undefined) event['subject'] = options.subject;
  if (options.cluster !== undefined && name.startsWith('policy-')) {
    const subscription = options.cluster.split('/')[2] ?? '';
    event[cloud ? 'source' : 'topic'] = `/subscriptions/${subscription}`;
    event['subject'] ??= options.cluster;
    if (options.subject === undefined) event['subject'] = options.cluster;
  }
  if (options.id !== undefined) event['id'] = options.id;
  if (options.time !== undefined) event[cloud ? 'time' : 'eventTime'] = options.time;
  if (options.data !== undefined) event['data'] = { ...(event['data'] as Record<string, unknown>), ...options.data };
  return event;
}
