/**
 * The in-cluster objects a finding names (pods and namespaces the Azure Policy add-on reports
 * non-compliant), shown under the finding in the report. Pure; every value from the fleet is
 * escaped with the one HTML escaper (`escapeHtml`).
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { FindingComponent } from '../model/finding.js';
import { componentLabel } from '../policy/policyComponents.js';

/** A collapsed list under the finding's text; nothing when the finding names no component. */
export function componentList(components: readonly FindingComponent[] | undefined): string {
  if (components === undefined || components.length === 0) return '';
  const items = components.map((component) => `<li>${escapeHtml(component.type)} <code>${escapeHtml(componentLabel(component))}</code></li>`).join('');
  const summary = `${components.length} in-cluster component${components.length === 1 ? '' : 's'} (Azure Policy add-on)`;
  return `<details class="components"><summary>${escapeHtml(summary)}</summary><ul>${items}</ul></details>`;
}
