/**
 * The destination check every vendor with a configured URL shares (each vendor module declares its
 * allowed hosts). Webhook URLs are secrets, so problems name the rule that failed, never the URL.
 */
import { literalHostReason } from './outboundAddress.js';

export function hostMatches(host: string, pattern: string): boolean {
  const lower = host.toLowerCase();
  const wanted = pattern.toLowerCase();
  return wanted.startsWith('*.') ? lower.endsWith(wanted.slice(1)) && lower.length > wanted.length - 1 : lower === wanted;
}

/**
 * Undefined when `url` may be used: https, no credentials, not a non-public IP literal, a host in
 * `allowedHosts` (exact names or `*.example.com`). Otherwise why not; `hostNotAllowed` is the
 * vendor's wording for a host outside its list.
 */
export function destinationProblem(url: string, allowedHosts: readonly string[], hostNotAllowed: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:') return 'must use https';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials in the URL';
  const literalReason = literalHostReason(parsed.hostname);
  if (literalReason !== undefined) return `host ${literalReason}`;
  if (!allowedHosts.some((pattern) => hostMatches(parsed.hostname, pattern))) return hostNotAllowed;
  return undefined;
}
