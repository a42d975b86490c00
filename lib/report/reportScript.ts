/**
 * The report's one script and its Content-Security-Policy. The script is a constant (the page embeds
 * no data in it, so no fleet value can close the `<script>` element), and the policy allows that
 * script by its SHA-256 hash and nothing else: no `'unsafe-inline'`, so neither an injected
 * `<script>` nor a `javascript:` URL would run even if an escape were missed (CSP Level 3,
 * "hash-source", https://www.w3.org/TR/CSP3/#grammardef-hash-source; MDN "script-src": a hash
 * allows exactly the inline script with that digest). Styles stay inline (`style-src
 * 'unsafe-inline'`): they cannot run code, and with `default-src 'none'` and `img-src data:` they
 * cannot fetch anything either.
 *
 * Filters are done in script rather than with CSS-only radio/`:checked` tricks: three filters that
 * combine (subscription × tag × severity, plus text) over values known only at render time would
 * need a generated rule per value and combination. Without JavaScript every row stays visible and the
 * page reads the same, pre-sorted.
 */
import { createHash } from 'node:crypto';

/** Sort, filter (subscription, tag, severity, text) over the rows marked `f` and the heatmap's cluster columns. */
export const REPORT_SCRIPT = `
(function(){var bar=document.getElementById('filters');if(!bar)return;bar.hidden=false;
var sub=document.getElementById('filter-sub'),tag=document.getElementById('filter-tag'),sev=document.getElementById('filter-sev'),q=document.getElementById('findings-filter'),count=document.getElementById('filter-count');
var rank={critical:5,high:4,medium:3,low:2,info:1};
function match(e,useSev){if(sub.value&&e.getAttribute('data-sub')!==sub.value)return false;
if(tag.value&&(e.getAttribute('data-tags')||'').split('\\n').indexOf(tag.value)<0)return false;
if(useSev&&sev.value&&(rank[e.getAttribute('data-sev')]||0)<rank[sev.value])return false;return true;}
function apply(){var text=q.value.toLowerCase(),shown=0,total=0;
document.querySelectorAll('tr.f').forEach(function(r){var ok=match(r,true)&&(text===''||r.textContent.toLowerCase().indexOf(text)>=0);r.hidden=!ok;
if(r.closest('#findings-table')){total++;if(ok)shown++;}});
var cols={};document.querySelectorAll('#heatmap th.cluster').forEach(function(h){var ok=match(h,false);cols[h.getAttribute('data-col')]=ok;h.hidden=!ok;});
document.querySelectorAll('#heatmap td[data-col]').forEach(function(c){c.hidden=!cols[c.getAttribute('data-col')];});
count.textContent=shown+' of '+total+' open findings shown';}
[sub,tag,sev].forEach(function(e){e.addEventListener('change',apply);});q.addEventListener('input',apply);apply();
var t=document.getElementById('findings-table');if(!t)return;var b=t.tBodies[0];
t.querySelectorAll('th[data-sort]').forEach(function(h,i){var asc=true;h.addEventListener('click',function(){var rows=Array.from(b.rows);
rows.sort(function(x,y){var a=x.cells[i].dataset.key||x.cells[i].textContent,c=y.cells[i].dataset.key||y.cells[i].textContent;return (asc?1:-1)*a.localeCompare(c,undefined,{numeric:true});});
asc=!asc;rows.forEach(function(r){b.appendChild(r);});});});})();
`;

/** The `script-src` source that allows exactly {@link REPORT_SCRIPT}. */
export const REPORT_SCRIPT_HASH = `'sha256-${createHash('sha256').update(REPORT_SCRIPT).digest('base64')}'`;

/** The policy in the page's `<meta>` (a file opened from disk has no headers). `frame-ancestors` is ignored in `<meta>`, so only the header carries it. */
export const REPORT_META_POLICY = `default-src 'none'; style-src 'unsafe-inline'; script-src ${REPORT_SCRIPT_HASH}; img-src data:; base-uri 'none'; form-action 'none'`;

/** The policy `GET /api/report` sends as a header. */
export const REPORT_CONTENT_SECURITY_POLICY = `${REPORT_META_POLICY}; frame-ancestors 'none'`;
