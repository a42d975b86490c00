/** One latest policy state of a resource, as the policy rules need it. */
export interface PolicyStateRecord {
  resourceId: string;
  resourceType: string;
  policyAssignmentId: string;
  policyAssignmentName: string;
  policyDefinitionId: string;
  policyDefinitionName: string;
  /** The effect (`deny`, `audit`, `auditIfNotExists`, ...). */
  policyDefinitionAction: string;
  policySetDefinitionId: string | undefined;
  complianceState: string;
  /** ISO time of the evaluation. */
  timestamp: string | undefined;
}

/** How many policy states a resource has in each compliance state. */
export interface ComplianceCount {
  resourceId: string;
  complianceState: string;
  count: number;
}

/**
 * One non-compliant component (a pod, a namespace, ...) inside a resource, as Policy Insights
 * `componentPolicyStates` reports it for Resource Provider mode policies (the Azure Policy add-on).
 */
export interface PolicyComponentRecord {
  /** The resource the component lives in (the cluster). */
  resourceId: string;
  policyDefinitionId: string;
  policyAssignmentId: string;
  /** `pod`, `namespace`, ... as the service writes it. */
  componentType: string;
  /** For pods `namespace/name` (the official AKS example: `default/test-pod`). */
  componentId: string;
  componentName: string;
  complianceState: string;
}

/** The display name of a policy definition or initiative (policy set definition), by its id. */
export interface PolicyDefinitionName {
  /** The definition's resource id as the service writes it. */
  id: string;
  kind: 'definition' | 'initiative';
  displayName: string;
}
