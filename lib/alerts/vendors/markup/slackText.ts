/**
 * Fleet data in Slack mrkdwn (docs.slack.dev/messaging/formatting-message-text):
 * - "Escaping text": `&`, `<` and `>` are Slack's control characters (links `<url|label>`, mentions
 *   `<@U…>`, `<!here>`, channels `<#C…>`) and are sent as `&amp;`, `&lt;`, `&gt;`;
 * - every mrkdwn text object carries `verbatim: true` (docs.slack.dev/reference/block-kit/composition-objects/text-object:
 *   with the default `false`, "URLs will be auto-converted into links, conversation names will be
 *   link-ified, and certain mentions will be automatically parsed");
 * - mrkdwn has no escape for its formatting characters (`*bold*`, `_italic_`, `~strike~`,
 *   `` `code` ``), so in data they are replaced by look-alikes that are not markup: ∗ (U+2217),
 *   ˍ (U+02CD), ∼ (U+223C), ˋ (U+02CB). Slack never formats with them;
 * - and the vendor-neutral steps of fleetText.ts (URLs defanged, `@` mentions broken, no line breaks).
 * Our own markup (the severity marker, bold labels, the guidance link) is added around the result.
 */
import { truncate } from '../../notifiers/budget.js';
import { fleetText } from './fleetText.js';

const FORMATTING: Readonly<Record<string, string>> = { '*': '\u2217', _: '\u02CD', '~': '\u223C', '`': '\u02CB' };

/** Slack's entity escaping of its control characters `& < >` ("Escaping text"). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Fleet text as mrkdwn shows it literally, before the entity escaping. */
function literal(raw: string): string {
  return fleetText(raw).replace(/[*_~`]/g, (character) => FORMATTING[character] ?? character);
}

/**
 * Fleet text for mrkdwn, at most `max` characters as sent: neutralised, cut on the unescaped text
 * (never inside an entity), then escaped.
 */
export function slackText(raw: string, max: number): string {
  return slackEscape(truncate(literal(raw), max, { escape: slackEscape }));
}

/** A mrkdwn text object that Slack does not pre-process (no auto-links, no parsed mentions). */
export function mrkdwn(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Slack link syntax for one of our own URLs (already checked by `guidanceUrl`); the label is ours too. */
export function slackLink(url: string, label: string): string {
  return `<${slackEscape(url)}|${slackEscape(label)}>`;
}
