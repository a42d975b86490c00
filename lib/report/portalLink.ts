/**
 * Links from the report to a resource in the Azure portal, and the short form of a long ARM id. The
 * portal opens any resource by id at `https://portal.azure.com/#@/resource{id}` (the form the portal
 * itself uses in its "Copy link" and in Azure Resource Graph Explorer results). Pure.
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';

const PORTAL = 'https://portal.azure.com/#@/resource';

/** The portal URL of an ARM resource; the id is percent-encoded so nothing in it changes the URL's meaning. */
export function portalUrl(resourceId: string): string {
  const path = resourceId.startsWith('/') ? resourceId : `/${resourceId}`;
  return `${PORTAL}${encodeURI(path).replace(/[#?]/g, (char) => encodeURIComponent(char))}`;
}

/**
 * A link to the resource in the portal showing `label`, with the full id in the tooltip (and as the
 * link target, which a reader can copy), so a long ARM path never has to be printed in a table cell.
 */
export function portalLink(resourceId: string, label: string): string {
  return `<a class="portal" href="${escapeHtml(portalUrl(resourceId))}" title="${escapeHtml(`${resourceId} (open in the Azure portal)`)}" rel="noreferrer">${escapeHtml(label)}</a>`;
}
