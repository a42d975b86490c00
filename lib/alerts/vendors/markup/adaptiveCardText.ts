/**
 * Fleet data in an Adaptive Card, as Teams renders it. Teams parses Markdown in `TextBlock.text`
 * and in `Fact.title`/`Fact.value` (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format,
 * "Format cards with Markdown"), a CommonMark subset with bold, italic, lists and `[title](url)`
 * links (learn.microsoft.com/adaptive-cards/authoring-cards/text-features). Backslash escapes are
 * not a safe way to show such text literally: Teams clients disagree on them (the mobile
 * renderers leave them unprocessed, microsoft/AdaptiveCards#5590 and #7474, and backslashes
 * misbehave on desktop, #4677), so an escaped `\[text\](url)` can still be a link somewhere.
 *
 * So fleet data never goes into a Markdown field: it goes into a `TextRun` of a `RichTextBlock`,
 * whose text is shown as is ("Text to display. Markdown is not supported.",
 * learn.microsoft.com/adaptive-cards/schema-explorer/text-run, Adaptive Cards 1.2). Before that it
 * is neutralised like every vendor's (fleetText.ts: URLs defanged, since a client may still
 * auto-link a bare URL; mentions broken; no line breaks). Markdown fields hold only our own text:
 * our guidance link is a Markdown link in a TextBlock of its own, to a URL checked by `guidanceUrl`
 * (docLinks.ts: no character that could end the link). Not a TextRun `selectAction`: Teams has
 * rendered those as plain text (microsoft/AdaptiveCards#5804, #9100).
 */
import { truncate } from '../../notifiers/budget.js';
import { fleetText } from './fleetText.js';

export interface TextRunStyle {
  weight?: 'Bolder';
  color?: string;
  size?: 'Small' | 'Large';
  isSubtle?: boolean;
}

export interface TextRun extends TextRunStyle {
  type: 'TextRun';
  text: string;
}

/** Fleet text as a run, neutralised and cut to `max` characters. */
export function dataRun(raw: string, max: number, style: TextRunStyle = {}): TextRun {
  return { type: 'TextRun', text: truncate(fleetText(raw), max), ...style };
}

/** Our own text as a run (it is not parsed either, so it needs no escaping). */
export function ownRun(text: string, style: TextRunStyle = {}): TextRun {
  return { type: 'TextRun', text, ...style };
}

/** A TextBlock that is only our own Markdown link: `label` is ours, `url` checked by `guidanceUrl`. */
export function guidanceLink(label: string, url: string): Record<string, unknown> {
  return { type: 'TextBlock', text: `[${label}](${url})`, wrap: true, size: 'Small' };
}

/** A RichTextBlock of runs; `separator` draws a line above it. */
export function richText(inlines: readonly TextRun[], options: { separator?: boolean } = {}): Record<string, unknown> {
  return { type: 'RichTextBlock', inlines, ...(options.separator === true ? { separator: true } : {}) };
}
