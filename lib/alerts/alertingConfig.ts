/**
 * Alert routing, declared in JSON or YAML (an app setting or a file) and validated with zod.
 * Receivers name the app settings that hold their secrets (Key Vault references resolve into app
 * settings), so the routing document itself holds no secret and can live in a repository.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { FleetGuardError } from '../errors.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import { Secret } from '../secret.js';
import { destinationProblem } from './destinations.js';

const DURATION = /^(\d+)(s|m|h|d)$/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration such as 30m, 4h or 1d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const duration = z.string().refine((value) => DURATION.test(value.trim()), 'must be a duration such as 30m, 4h or 1d').transform(parseDuration);
const settingName = z.string().regex(SETTING_NAME, 'must be the name of an app setting');

const receiverSchema = z.discriminatedUnion('type', [
  z.object({ name: z.string().min(1), type: z.literal('slack'), webhookUrlSetting: settingName }).strict(),
  z.object({ name: z.string().min(1), type: z.literal('teams'), webhookUrlSetting: settingName }).strict(),
  z.object({ name: z.string().min(1), type: z.literal('pagerduty'), routingKeySetting: settingName }).strict(),
  z.object({ name: z.string().min(1), type: z.literal('webhook'), urlSetting: settingName, hmacKeySetting: settingName }).strict(),
]);

const matchSchema = z
  .object({
    /** Lowest severity that matches (`high` matches high and critical). */
    minSeverity: z.enum(SEVERITIES).optional(),
    ruleIds: z.array(z.string().min(1)).optional(),
    /** Rule id prefixes, e.g. `LOG-`. */
    rulePrefixes: z.array(z.string().min(1)).optional(),
    subscriptions: z.array(z.string().min(1)).optional(),
    /** Every tag must be present with this value (case-insensitive values). */
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const routeSchema = z
  .object({
    name: z.string().min(1),
    receiver: z.string().min(1),
    match: matchSchema.default({}),
    /** Finding fields that split notifications into groups: one message per group per run. */
    groupBy: z.array(z.enum(['cluster', 'subscription', 'ruleId', 'severity'])).default(['cluster']),
    repeatInterval: duration.default(parseDuration('4h')),
    sendResolved: z.boolean().default(true),
    continue: z.boolean().default(false),
  })
  .strict();

const documentSchema = z
  .object({
    receivers: z.array(receiverSchema).min(1),
    routes: z.array(routeSchema).min(1),
    /** Hosts generic webhooks may post to (exact names, or `*.example.com`). */
    webhookAllowedHosts: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type AlertMatch = z.output<typeof matchSchema>;
export type AlertRoute = z.output<typeof routeSchema>;
type ReceiverDocument = z.output<typeof receiverSchema>;

export type AlertReceiver =
  | { name: string; type: 'slack' | 'teams'; url: Secret }
  | { name: string; type: 'pagerduty'; routingKey: Secret }
  | { name: string; type: 'webhook'; url: Secret; hmacKey: Secret };

export interface AlertingConfig {
  routes: AlertRoute[];
  receivers: Map<string, AlertReceiver>;
  webhookAllowedHosts: string[];
}

function describeIssues(source: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${source}: ${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`).join('\n  - ');
}

/** Parses a routing document (JSON or YAML); `source` names where it came from in errors. */
export function parseAlertingDocument(text: string, source: string, env: Record<string, string | undefined>): AlertingConfig {
  let data: unknown;
  try {
    data = parseYaml(text) as unknown;
  } catch (error) {
    throw new FleetGuardError('config', `Invalid settings:\n  - ${source}: is neither JSON nor YAML (${(error as Error).message.split('\n')[0] ?? ''})`);
  }
  const parsed = documentSchema.safeParse(data);
  if (!parsed.success) throw new FleetGuardError('config', `Invalid settings:\n  - ${describeIssues(source, parsed.error)}`);
  const problems: string[] = [];
  const receivers = new Map<string, AlertReceiver>();
  const secret = (receiver: ReceiverDocument, setting: string): Secret => {
    const value = env[setting];
    if (value === undefined || value.trim() === '') problems.push(`${source}: receiver ${receiver.name}: app setting ${setting} is not set`);
    return new Secret((value ?? '').trim());
  };
  for (const receiver of parsed.data.receivers) {
    if (receivers.has(receiver.name)) problems.push(`${source}: receiver ${receiver.name} is defined twice`);
    switch (receiver.type) {
      case 'slack':
      case 'teams':
        receivers.set(receiver.name, { name: receiver.name, type: receiver.type, url: secret(receiver, receiver.webhookUrlSetting) });
        break;
      case 'pagerduty':
        receivers.set(receiver.name, { name: receiver.name, type: 'pagerduty', routingKey: secret(receiver, receiver.routingKeySetting) });
        break;
      case 'webhook':
        receivers.set(receiver.name, { name: receiver.name, type: 'webhook', url: secret(receiver, receiver.urlSetting), hmacKey: secret(receiver, receiver.hmacKeySetting) });
        break;
    }
  }
  for (const [name, receiver] of receivers) {
    if (receiver.type === 'pagerduty' || receiver.url.reveal() === '') continue;
    const problem = destinationProblem(receiver.type, receiver.url.reveal(), parsed.data.webhookAllowedHosts);
    const document = parsed.data.receivers.find((entry) => entry.name === name);
    const setting = document === undefined ? '?' : 'webhookUrlSetting' in document ? document.webhookUrlSetting : 'urlSetting' in document ? document.urlSetting : '?';
    if (problem !== undefined) problems.push(`${source}: receiver ${name}: the URL in app setting ${setting} ${problem}`);
  }
  const routeNames = new Set<string>();
  for (const route of parsed.data.routes) {
    if (!receivers.has(route.receiver)) problems.push(`${source}: route ${route.name}: unknown receiver ${route.receiver}`);
    if (routeNames.has(route.name)) problems.push(`${source}: route ${route.name} is defined twice`);
    routeNames.add(route.name);
  }
  if (problems.length > 0) throw new FleetGuardError('config', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
  return { routes: parsed.data.routes, receivers, webhookAllowedHosts: parsed.data.webhookAllowedHosts };
}

export function severityAtLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(minimum);
}
