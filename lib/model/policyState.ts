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
