/**
 * The LOG-* rules of CONTRACTS.md §1 as Log Analytics detections. Each has a `.kql` file under
 * `queries/`, a look-back window, a threshold, and the result columns it promises; the query text
 * gets `lookback` and `threshold` from `let` bindings the sweep prepends, never from string building.
 */
import type { RuleMetadata } from '../model/ruleMetadata.js';

/** Column types as Log Analytics reports them. */
export type KqlType = 'string' | 'long' | 'int' | 'real' | 'datetime' | 'dynamic' | 'bool';

/**
 * A detection carries its rule's metadata (group, severity, gate signal, docs): `ruleId` is the
 * rule's id, `id` the detection's own.
 */
export interface Detection extends Omit<RuleMetadata, 'id'> {
  /** Snapshot file name and query file name: `logs/{id}.json`, `queries/{id}.kql`. */
  id: string;
  ruleId: string;
  /** Tables the query reads (resource-specific mode). */
  tables: readonly string[];
  lookbackMinutes: number;
  /** A cluster fires when the sum of `measure` over its rows reaches this. */
  threshold: number;
  /** The count column summed per cluster. */
  measure: string;
  /** Every column of the result, with its type; `_ResourceId` maps rows to clusters. */
  columns: Readonly<Record<string, KqlType>>;
  /** What it means and what to do, given the total and a few examples. */
  describe(total: number, examples: string): string;
}

const AUDIT_DOC = 'https://learn.microsoft.com/azure/aks/monitor-aks#resource-logs';

export const DETECTIONS: readonly Detection[] = [
  {
    id: 'failed-api-auth',
    ruleId: 'LOG-FAILED-API-AUTH',
    frameworks: {},
    severity: 'high',
    title: 'Many API requests failed authentication or authorization',
    practice: 'Audit failed API auth',
    group: 'identity',
    healthSignal: { name: 'failed-api-auth', fails: 'clearRise' },
    docUrl: AUDIT_DOC,
    tables: ['AKSAudit'],
    lookbackMinutes: 60,
    threshold: 10,
    measure: 'Failures',
    columns: { _ResourceId: 'string', User: 'string', SourceIp: 'string', Failures: 'long' },
    describe: (total, examples) =>
      `${total} API requests were answered 401/403 in the look-back window (${examples}). Check whether these are stale credentials or probing; block the source or rotate the credential, and restrict API access with authorized IP ranges.`,
  },
  {
    id: 'anonymous-access',
    ruleId: 'LOG-ANONYMOUS-ACCESS',
    frameworks: { kubescape: ['C-0262'] },
    severity: 'high',
    title: 'Anonymous requests succeeded against the API server',
    practice: 'Disable anonymous auth',
    group: 'identity',
    docUrl: 'https://learn.microsoft.com/azure/aks/operator-best-practices-cluster-security',
    tables: ['AKSAudit'],
    lookbackMinutes: 60,
    threshold: 1,
    measure: 'Requests',
    columns: { _ResourceId: 'string', Requests: 'long', RequestUris: 'dynamic', SourceIps: 'dynamic' },
    describe: (total, examples) =>
      `${total} requests by system:anonymous were answered with success (${examples}). Remove RoleBindings/ClusterRoleBindings that grant rights to system:anonymous or system:unauthenticated.`,
  },
  {
    id: 'exec-into-pod',
    ruleId: 'LOG-EXEC-INTO-POD',
    frameworks: { kubescape: ['C-0002'], nsa: ['C-0002'] },
    severity: 'medium',
    title: 'People exec or attach into pods',
    practice: 'Runtime controls',
    group: 'workload',
    docUrl: 'https://learn.microsoft.com/azure/aks/concepts-security',
    tables: ['AKSAudit', 'AKSAuditAdmin'],
    lookbackMinutes: 60,
    threshold: 1,
    measure: 'Execs',
    columns: { _ResourceId: 'string', Execs: 'long', Users: 'dynamic', Pods: 'dynamic' },
    describe: (total, examples) =>
      `${total} exec/attach sessions into pods by non-system users (${examples}). Confirm they were approved break-glass access; otherwise remove pods/exec from their roles.`,
  },
  {
    id: 'privileged-pod',
    ruleId: 'LOG-PRIVILEGED-POD',
    frameworks: { 'cis-aks': ['4.2.1'], kubescape: ['C-0213', 'C-0057'], nsa: ['C-0057'] },
    severity: 'high',
    title: 'Pods with privileged containers were created',
    practice: 'Pod security',
    group: 'workload',
    docUrl: 'https://learn.microsoft.com/azure/aks/use-psa',
    tables: ['AKSAudit', 'AKSAuditAdmin'],
    lookbackMinutes: 60,
    threshold: 1,
    measure: 'Pods',
    columns: { _ResourceId: 'string', Pods: 'long', Examples: 'dynamic', Users: 'dynamic' },
    describe: (total, examples) =>
      `${total} pods with privileged containers were created outside system namespaces (${examples}). Enforce the baseline Pod Security Standard (or the Azure Policy "no privileged containers") on these namespaces.`,
  },
  {
    id: 'secret-reads',
    ruleId: 'LOG-SECRET-READS',
    frameworks: { 'cis-aks': ['4.1.2'], kubescape: ['C-0186', 'C-0015'] },
    severity: 'medium',
    title: 'Unusually many Kubernetes secret reads',
    practice: 'Secrets management',
    group: 'secrets',
    docUrl: 'https://learn.microsoft.com/azure/aks/csi-secrets-store-driver',
    tables: ['AKSAudit'],
    lookbackMinutes: 60,
    threshold: 50,
    measure: 'Reads',
    columns: { _ResourceId: 'string', Reads: 'long', Users: 'dynamic', Secrets: 'dynamic' },
    describe: (total, examples) =>
      `${total} reads of Kubernetes secrets by non-system identities (${examples}). Review who needs secret access; move secrets to Key Vault with the CSI driver and narrow RBAC on secrets.`,
  },
  {
    id: 'crashloop',
    ruleId: 'LOG-CRASHLOOP',
    frameworks: {},
    severity: 'medium',
    title: 'Containers are crash-looping',
    practice: 'Workload health',
    group: 'workload',
    healthSignal: { name: 'crashloop', fails: 'clearRise' },
    docUrl: 'https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/availability-performance/identify-memory-saturation-aks',
    tables: ['KubePodInventory'],
    lookbackMinutes: 60,
    threshold: 1,
    measure: 'Containers',
    columns: { _ResourceId: 'string', Containers: 'long', Pods: 'dynamic' },
    describe: (total, examples) => `${total} containers were in CrashLoopBackOff (${examples}). Check their logs (kubectl logs --previous) and events.`,
  },
  {
    id: 'node-not-ready',
    ruleId: 'LOG-NODE-NOT-READY',
    frameworks: {},
    severity: 'high',
    title: 'Nodes are not Ready',
    practice: 'Node health',
    group: 'monitoring',
    healthSignal: { name: 'node-not-ready', fails: 'clearRise' },
    docUrl: 'https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/availability-performance/node-not-ready-basic-troubleshooting',
    tables: ['KubeNodeInventory'],
    lookbackMinutes: 60,
    threshold: 1,
    measure: 'Nodes',
    columns: { _ResourceId: 'string', Nodes: 'long', Examples: 'dynamic' },
    describe: (total, examples) =>
      `${total} nodes reported NotReady at their latest check (${examples}). Inspect node conditions (kubectl describe node) and the node pool's health.`,
  },
];

/** Every detection id, in catalog order (settings name detections by these). */
export const DETECTION_IDS: readonly string[] = DETECTIONS.map((detection) => detection.id);

/** The rule metadata of a detection, keyed by its rule id. */
export function detectionRule(detection: Detection): RuleMetadata {
  const { ruleId, severity, title, practice, group, docUrl, healthSignal, frameworks } = detection;
  return {
    id: ruleId,
    severity,
    title,
    practice,
    group,
    docUrl,
    ...(healthSignal === undefined ? {} : { healthSignal }),
    ...(frameworks === undefined ? {} : { frameworks }),
  };
}

export function detectionById(id: string): Detection | undefined {
  return DETECTIONS.find((detection) => detection.id === id);
}
