/**
 * Fleet data as any human-facing vendor field shows it. Cluster and resource names, finding text
 * and detection evidence (request URIs, user agents, user names, namespaces, pod names) can be
 * chosen by whoever can reach a cluster's API server, even anonymously, so before a vendor's own
 * escaping the text is neutralised the same way for every vendor:
 * - made well-formed (lone surrogates replaced);
 * - bidirectional embedding, override and isolate controls removed (U+202A–U+202E, U+2066–U+2069):
 *   they reorder what the reader sees ("Trojan Source", CVE-2021-42574);
 * - line breaks become spaces, so data never starts a line (Markdown lists, quotes and headings
 *   only exist at the start of a line);
 * - URLs defanged (defang.ts);
 * - an `@` before a name gets a WORD JOINER (U+2060) after it, so `@here`, `@channel`,
 *   `@everyone` or `@user` is never a mention, whatever the vendor auto-parses.
 */
import { wellFormed } from '../../notifiers/budget.js';
import { defangUrls } from './defang.js';

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// Also vertical tab, form feed, NEL and the Unicode line and paragraph separators, which some renderers break lines on.
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /\r\n|[\r\n\u000B\u000C\u0085\u2028\u2029]/g;
const MENTION = /@(?=[\p{L}\p{N}_])/gu;

/** Fleet text neutralised for display in any vendor (see the module comment); vendor escaping comes after. */
export function fleetText(raw: string): string {
  return defangUrls(wellFormed(raw).replace(BIDI_CONTROLS, '').replace(LINE_BREAKS, ' ')).replace(MENTION, '@\u2060');
}
