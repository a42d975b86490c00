/**
 * Columns and types of the Log Analytics tables the detections read, as documented in the Azure
 * Monitor table reference (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>).
 */
const AUDIT_COLUMNS = {
  Annotations: 'dynamic', AuditId: 'string', _BilledSize: 'real', _IsBillable: 'string', Level: 'string', ObjectRef: 'dynamic',
  PodName: 'string', RequestObject: 'dynamic', RequestReceivedTime: 'datetime', RequestUri: 'string', _ResourceId: 'string',
  ResponseObject: 'dynamic', ResponseStatus: 'dynamic', SourceIps: 'dynamic', SourceSystem: 'string', Stage: 'string',
  StageReceivedTime: 'datetime', _SubscriptionId: 'string', TenantId: 'string', TimeGenerated: 'datetime', Type: 'string',
  User: 'dynamic', UserAgent: 'string', Verb: 'string',
} as const;

export const LOG_ANALYTICS_TABLES: Record<string, Record<string, string>> = {
  AKSAudit: AUDIT_COLUMNS,
  AKSAuditAdmin: AUDIT_COLUMNS,
  KubePodInventory: {
    _BilledSize: 'real', ClusterId: 'string', ClusterName: 'string', Computer: 'string', ContainerCreationTimeStamp: 'datetime',
    ContainerID: 'string', ContainerLastStatus: 'string', ContainerName: 'string', ContainerRestartCount: 'int', ContainerStartTime: 'datetime',
    ContainerStatus: 'string', ContainerStatusReason: 'string', ControllerKind: 'string', ControllerName: 'string', InstanceName: 'string',
    _IsBillable: 'string', Name: 'string', Namespace: 'string', PodCreationTimeStamp: 'datetime', PodIp: 'string', PodLabel: 'string',
    PodRestartCount: 'int', PodStartTime: 'datetime', PodStatus: 'string', PodUid: 'string', _ResourceId: 'string', ServiceName: 'string',
    SourceSystem: 'string', _SubscriptionId: 'string', TimeGenerated: 'datetime', Type: 'string',
  },
  KubeNodeInventory: {
    _BilledSize: 'real', ClusterId: 'string', ClusterName: 'string', Computer: 'string', CreationTimeStamp: 'datetime', DockerVersion: 'string',
    _IsBillable: 'string', KubeletVersion: 'string', KubeProxyVersion: 'string', KubernetesProviderID: 'string', Labels: 'string',
    LastTransitionTimeReady: 'datetime', OperatingSystem: 'string', _ResourceId: 'string', SourceSystem: 'string', Status: 'string',
    _SubscriptionId: 'string', TimeGenerated: 'datetime', Type: 'string',
  },
};
