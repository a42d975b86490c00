/**
 * HTML escaping, the one copy: the fleet report (lib/report/) and Opsgenie's `message` (which
 * Opsgenie renders as HTML, docs.opsgenie.com/docs/alerts-and-alert-fields) use it. Escapes the
 * five characters that matter in element content and in quoted attribute values (OWASP XSS
 * Prevention Cheat Sheet, rules 1 and 2): `& < > " '`.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
