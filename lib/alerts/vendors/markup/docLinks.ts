/**
 * Our own guidance links: the only URLs an alert or the report renders as a link. Each rule's
 * `docUrl` is declared in the rule catalog (lib/rules/catalog.ts), but a finding carries its own
 * copy (stored in the findings table, or built by the rollout halt), so the link is checked again
 * where it is rendered: https, no credentials or port, a host of this list, and no character a
 * vendor's link syntax uses as a delimiter. Anything else is not a link (callers show it defanged).
 * test/unit/alerts/vendors/markup.test.ts checks every catalog `docUrl` passes.
 */

/** Microsoft documentation hosts the catalog links to. */
export const GUIDANCE_HOSTS: readonly string[] = ['learn.microsoft.com'];

/** Characters that end or split a link in Slack (`<url|label>`), Markdown (`[label](url)`) or HTML attributes. */
const DELIMITERS = /[\s<>|()[\]"'`\\]/;

/** The URL, normalised, when it is one of our guidance links; otherwise undefined. */
export function guidanceUrl(docUrl: string): string | undefined {
  if (DELIMITERS.test(docUrl)) return undefined;
  let url: URL;
  try {
    url = new URL(docUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') return undefined;
  if (!GUIDANCE_HOSTS.includes(url.hostname)) return undefined;
  const normalised = url.href;
  return DELIMITERS.test(normalised) ? undefined : normalised;
}
