/**
 * URLs that come from fleet data (request URIs, user agents, names an anonymous caller chose) are
 * shown defanged, the convention threat-intelligence tools share (e.g. CISA advisories and the
 * `defang` helpers of ioc-fanger / MISP): `https://evil.example/login` becomes
 * `hxxps[:]//evil[.]example/login`. No chat client, PagerDuty or Opsgenie auto-links that form,
 * and a reader can still see, and deliberately re-fang, the address. Our own guidance links are
 * never passed through here: they go through `docLinks.ts` and are rendered as links.
 */

/** Characters of a host (and port) after `//` or `www.`: up to the path, query, fragment or markup. */
const HOST = String.raw`[^\s/?#<>"'\\()[\]|]*`;
/**
 * `//authority`, with or without a scheme before it (a scheme-relative `//evil.example` is a link
 * in Markdown). The scheme starts where no scheme character precedes it, so a long run of letters
 * is scanned once, not once per letter.
 */
const AUTHORITY = new RegExp(String.raw`((?<![a-z0-9+.-])[a-z0-9+.-]*:)?//(${HOST})`, 'gi');
/** Hosts written without a scheme that auto-linkers still pick up (`www.evil.example`). */
const WWW = new RegExp(String.raw`(?<![a-z0-9-])(www)\.(${HOST})`, 'gi');

function defangScheme(scheme: string): string {
  return scheme
    .replace(/^(h)tt(ps?:)$/i, '$1xx$2')
    .replace(/^(f)t(p:)$/i, '$1x$2')
    .replace(/:$/, '[:]');
}

const dots = (host: string): string => host.replace(/\./g, '[.]');

/** `text` with every `scheme://host`, `//host` and `www.` host defanged; other text unchanged. */
export function defangUrls(text: string): string {
  return text
    .replace(AUTHORITY, (_url, scheme: string | undefined, host: string) => `${scheme === undefined ? '' : defangScheme(scheme)}//${dots(host)}`)
    .replace(WWW, (_host, www: string, rest: string) => `${www}[.]${dots(rest)}`);
}
