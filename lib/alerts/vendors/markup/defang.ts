/**
 * URLs that come from fleet data (request URIs, user agents, names an anonymous caller chose) are
 * shown defanged, the convention threat-intelligence tools share (e.g. CISA advisories and the
 * `defang` helpers of ioc-fanger / MISP): `https://evil.example/login` becomes
 * `hxxps[:]//evil[.]example/login`. No chat client, PagerDuty or Opsgenie auto-links that form,
 * and a reader can still see, and deliberately re-fang, the address. Our own guidance links are
 * never passed through here: they go through `docLinks.ts` and are rendered as links.
 */

/** `scheme://authority`: any URI scheme followed by `//`, and the authority (host and port) after it. */
const SCHEMED = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/?#<>"'\\]*)/gi;
/** Hosts written without a scheme that auto-linkers still pick up (`www.evil.example`). */
const WWW = /\bwww\.(?=[^\s.])/gi;

function defangScheme(scheme: string): string {
  return scheme.replace(/^(h)tt(ps?)$/i, '$1xx$2').replace(/^(f)t(p)$/i, '$1x$2');
}

/** `text` with every `scheme://host` and `www.` host defanged; other text unchanged. */
export function defangUrls(text: string): string {
  return text
    .replace(SCHEMED, (_url, scheme: string, authority: string) => `${defangScheme(scheme)}[:]//${authority.replace(/\./g, '[.]')}`)
    .replace(WWW, (www: string) => `${www.slice(0, 3)}[.]`);
}
