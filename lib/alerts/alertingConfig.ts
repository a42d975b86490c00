/**
 * Alert routing, declared in JSON or YAML (an app setting or a file) and validated with zod.
 * Receivers name the app settings that hold their secrets (Key Vault references resolve into app
 * settings), so the routing document itself holds no secret and can live in a repository.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { FleetGuardError } from '../errors.js';
import { SEVERITIES } from '../model/finding.js';
import { Secret } from '../secret.js';
import { destinationProblem } from './destinations.js';
import { calendarFields, namedTimeIntervalSchema, parseClock, type TimeIntervalEntry } from './timeIntervals.js';
import { type AlertReceiver, VENDOR_NAMES, vendorOf } from './vendors/index.js';

export type { AlertReceiver } from './vendors/index.js';

const DURATION = /^(\d+)(s|m|h|d)$/;

export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration such as 30m, 4h or 1d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const duration = z
  .string()
  .refine((value) => DURATION.test(value.trim()), 'must be a duration such as 30m, 4h or 1d')
  .transform(parseDuration);

/**
 * A receiver entry: `type` names a registered vendor, whose own schema checks the rest. Issues
 * keep their path under the entry (`receivers.2.routingKeySetting`).
 */
const receiverSchema = z.looseObject({ name: z.string().min(1), type: z.enum(VENDOR_NAMES) }).transform((entry, context) => {
  const parsed = vendorOf(entry).schema.safeParse(entry);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

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

/**
 * A digest schedule: the `at` times (`HH:MM`, local) on the days its calendar fields match, in
 * `location` (IANA zone, default UTC): `{ at: ['09:00'], weekdays: ['monday:friday'], location: Europe/Berlin }`.
 */
const digestSchema = z
  .object({
    at: z
      .array(z.string().refine((text) => (parseClock(text) ?? 1440) < 1440, 'must be a time HH:MM from 00:00 to 23:59'))
      .min(1)
      .transform((times) => [...new Set(times)].sort()),
    ...calendarFields,
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
    /** Names of `timeIntervals` during which the route sends nothing (Alertmanager's mute_time_intervals). */
    muteTimeIntervals: z.array(z.string().min(1)).default([]),
    /** Names of `timeIntervals` outside of which the route sends nothing (active_time_intervals); empty: always. */
    activeTimeIntervals: z.array(z.string().min(1)).default([]),
    /** Batch what the route would send into one message at scheduled local times (lib/alerts/digests.ts). */
    digest: digestSchema.optional(),
  })
  .strict();

const documentSchema = z
  .object({
    receivers: z.array(receiverSchema).min(1),
    routes: z.array(routeSchema).min(1),
    /** Hosts generic webhooks may post to (exact names, or `*.example.com`). */
    webhookAllowedHosts: z.array(z.string().min(1)).default([]),
    /** Named time intervals routes mute or activate by (Alertmanager's time_intervals, camelCase). */
    timeIntervals: z.array(namedTimeIntervalSchema).default([]),
  })
  .strict();

export type AlertMatch = z.output<typeof matchSchema>;
export type AlertRoute = z.output<typeof routeSchema>;
export type DigestSchedule = z.output<typeof digestSchema>;

export interface AlertingConfig {
  routes: AlertRoute[];
  receivers: Map<string, AlertReceiver>;
  webhookAllowedHosts: string[];
  /** By name; routes refer to them in `muteTimeIntervals`/`activeTimeIntervals`. */
  timeIntervals: Map<string, TimeIntervalEntry[]>;
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
  const context = { webhookAllowedHosts: parsed.data.webhookAllowedHosts };
  for (const entry of parsed.data.receivers) {
    if (receivers.has(entry.name)) problems.push(`${source}: receiver ${entry.name} is defined twice`);
    const vendor = vendorOf(entry);
    const secret = (setting: string): Secret => {
      const value = env[setting];
      if (value === undefined || value.trim() === '') problems.push(`${source}: receiver ${entry.name}: app setting ${setting} is not set`);
      return new Secret((value ?? '').trim());
    };
    const receiver = vendor.receiver(entry, secret);
    receivers.set(entry.name, receiver as AlertReceiver);
    const rule = vendor.destination;
    if (rule.kind !== 'configuredUrl') continue;
    const url = rule.url(receiver).reveal();
    if (url === '') continue;
    const allowed = rule.allowedHosts(context);
    const problem = destinationProblem(url, allowed, rule.hostNotAllowed(allowed));
    if (problem !== undefined) problems.push(`${source}: receiver ${entry.name}: the URL in app setting ${rule.setting(entry)} ${problem}`);
  }
  const timeIntervals = new Map<string, TimeIntervalEntry[]>();
  for (const interval of parsed.data.timeIntervals) {
    if (timeIntervals.has(interval.name)) problems.push(`${source}: time interval ${interval.name} is defined twice`);
    timeIntervals.set(interval.name, interval.timeIntervals);
  }
  const routeNames = new Set<string>();
  parsed.data.routes.forEach((route, index) => {
    if (!receivers.has(route.receiver)) problems.push(`${source}: route ${route.name}: unknown receiver ${route.receiver}`);
    if (routeNames.has(route.name)) problems.push(`${source}: route ${route.name} is defined twice`);
    routeNames.add(route.name);
    for (const field of ['muteTimeIntervals', 'activeTimeIntervals'] as const) {
      route[field].forEach((name, at) => {
        if (!timeIntervals.has(name)) problems.push(`${source}: routes.${index}.${field}.${at}: unknown time interval ${name} (route ${route.name})`);
      });
    }
  });
  if (problems.length > 0) throw new FleetGuardError('config', `Invalid settings:\n  - ${problems.join('\n  - ')}`);
  return { routes: parsed.data.routes, receivers, webhookAllowedHosts: parsed.data.webhookAllowedHosts, timeIntervals };
}
