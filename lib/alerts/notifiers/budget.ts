/**
 * Size budgets for vendor messages, in one place: cutting text to a budget without splitting a
 * character, a grapheme or an escape, and packing a group's alerts into messages that each fit,
 * without losing or repeating an alert.
 */
import type { Alert } from '../alert.js';

/** How a budget counts: UTF-16 code units (what Slack and PagerDuty limits count) or UTF-8 bytes. */
export type BudgetUnit = 'chars' | 'bytes';

export interface CutOptions {
  unit?: BudgetUnit;
  /**
   * The text is measured as it will be sent, after this character-wise escaping (Slack's entities,
   * JSON string escapes). The cut itself is made on the raw text, so an escape is never split;
   * the caller escapes the result.
   */
  escape?: (text: string) => string;
}

const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function measure(text: string, unit: BudgetUnit): number {
  return unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
}

/** Fleet data may carry lone surrogates (a name cut elsewhere); vendors refuse or mangle them. */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATES, '\uFFFD');
}

/** The JSON string escaping of `text`, without the quotes: what it costs inside a JSON body. */
export function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * `text` (made well-formed) if it fits `max`, else its longest prefix of whole graphemes that fits
 * with an ellipsis. Never splits a surrogate pair, a grapheme (emoji ZWJ sequences, flags,
 * combining marks) or, with `escape`, an escape sequence. Returns the raw text, not escaped.
 */
export function truncate(text: string, max: number, options: CutOptions = {}): string {
  const unit = options.unit ?? 'chars';
  const escape = options.escape ?? ((raw: string) => raw);
  const whole = wellFormed(text);
  const cost = (end: number): number => measure(escape(whole.slice(0, end)), unit);
  if (cost(whole.length) <= max) return whole;
  const room = max - measure(ELLIPSIS, unit);
  if (room < 0) return '';
  // Every code unit costs at least 1 in either unit, so the cut is at most `room` units in. The
  // largest prefix that fits is found by bisection (a few native passes, not one per character),
  // then moved back to the start of the grapheme it falls in.
  let low = 0;
  let high = Math.min(whole.length, room);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (cost(middle) <= room) low = middle;
    else high = middle - 1;
  }
  const grapheme = low < whole.length ? graphemes.segment(whole).containing(low) : undefined;
  const end = grapheme !== undefined && grapheme.index < low ? grapheme.index : low;
  return `${whole.slice(0, end)}${ELLIPSIS}`;
}

/** UTF-8 bytes of the JSON that will be sent. */
export function jsonBytes(body: unknown): number {
  return Buffer.byteLength(JSON.stringify(body), 'utf8');
}

/** One message's share of a group: alerts shown in full, then alerts listed one line each. */
export interface MessageShare {
  detailed: readonly Alert[];
  listed: readonly Alert[];
  /** Alerts of the group in earlier messages. */
  before: number;
  /** Alerts of the group in later messages. */
  after: readonly Alert[];
}

export interface Packing<T> {
  render(share: MessageShare): T;
  fits(body: T): boolean;
  /** At most this many alerts are shown in full, all in the first message. */
  maxDetailed: number;
}

/** The largest k in [low, high] with ok(k) (ok monotone; ok(low) assumed), by galloping then bisection: the cost follows the answer, not the group. */
function largest(low: number, high: number, ok: (k: number) => boolean): number {
  let good = low;
  let step = 1;
  while (good + step <= high && ok(good + step)) {
    good += step;
    step *= 2;
  }
  let bad = Math.min(good + step, high + 1);
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (ok(middle)) good = middle;
    else bad = middle;
  }
  return good;
}

/**
 * Splits a group's alerts, in order, into messages that each fit: the first message shows as many
 * as fit in full (up to `maxDetailed`) and lists more one line each; later messages list the rest.
 * Every alert is in exactly one message, so none is lost to a vendor's size limit and none is
 * sent twice. A single alert that cannot fit alone still gets a message of its own (renderers cut
 * their text so that this does not happen).
 */
export function packAlerts<T>(alerts: readonly Alert[], packing: Packing<T>): Array<{ body: T; alerts: Alert[] }> {
  const share = (start: number, detailed: number, listed: number, after: readonly Alert[]): MessageShare => ({
    detailed: alerts.slice(start, start + detailed),
    listed: alerts.slice(start + detailed, start + detailed + listed),
    before: start,
    after,
  });
  // Measured with a "more follow" note even when none would follow (one alert stands in), so that
  // size grows with the count and the search is sound; the body sent is never larger.
  const fitsAt = (start: number, detailed: number, listed: number): boolean => {
    const end = start + detailed + listed;
    return packing.fits(packing.render(share(start, detailed, listed, end < alerts.length ? alerts.slice(end) : alerts.slice(-1))));
  };
  const messages: Array<{ body: T; alerts: Alert[] }> = [];
  let start = 0;
  do {
    const remaining = alerts.length - start;
    const detailed = start === 0 ? largest(0, Math.min(packing.maxDetailed, remaining), (count) => fitsAt(0, count, 0)) : 0;
    let listed = largest(0, remaining - detailed, (count) => fitsAt(start, detailed, count));
    if (detailed + listed === 0 && remaining > 0) listed = 1;
    const end = start + detailed + listed;
    messages.push({ body: packing.render(share(start, detailed, listed, alerts.slice(end))), alerts: alerts.slice(start, end) });
    start = end;
  } while (start < alerts.length);
  return messages;
}

/** `fn` computed once per alert: packing renders a message several times while it searches. */
export function perAlert<R>(fn: (alert: Alert) => R): (alert: Alert) => R {
  const cache = new Map<Alert, R>();
  return (alert) => {
    const cached = cache.get(alert);
    if (cached !== undefined) return cached;
    const value = fn(alert);
    cache.set(alert, value);
    return value;
  };
}

/**
 * `body(text)`, with `text` cut so that the whole body stays within `maxBytes` of JSON. Exact: the
 * rest of the body is measured with the text empty, and the text is measured JSON-escaped.
 */
export function fitText<T>(text: string, maxBytes: number, body: (text: string) => T): T {
  const full = body(text);
  if (jsonBytes(full) <= maxBytes) return full;
  const room = maxBytes - jsonBytes(body(''));
  return body(truncate(text, Math.max(0, room), { unit: 'bytes', escape: jsonEscape }));
}
