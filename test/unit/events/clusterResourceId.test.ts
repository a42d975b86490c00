import { describe, expect, it } from 'vitest';

import { namesManagedCluster, parseClusterResourceId } from '../../../lib/events/clusterResourceId.js';

const SUB = '11111111-1111-1111-1111-111111111111';
const id = (group: string, name: string, rest = '') =>
  `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${name}${rest}`;

describe('parseClusterResourceId', () => {
  it('takes the exact ARM grammar, provider and type in any case', () => {
    expect(parseClusterResourceId(id('web', 'web-dev'), 'topic')).toEqual({
      id: id('web', 'web-dev'),
      subscriptionId: SUB,
      resourceGroup: 'web',
      name: 'web-dev',
    });
    const shouting = `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/Web/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/Web_Dev1`;
    expect(parseClusterResourceId(shouting, 'topic')).toMatchObject({ subscriptionId: SUB, resourceGroup: 'Web', name: 'Web_Dev1' });
  });

  // Learn, "Naming rules and restrictions for Azure resources": resource groups 1-90 of letters or
  // digits (Char.IsLetterOrDigit), _ - . ( ), not ending in a period; managed clusters 1-63 of
  // alphanumerics, _ and -, starting and ending with an alphanumeric.
  it.each([
    ['a resource group of Unicode letters, parentheses and inner periods', 'équipe.(prod)_1-ü', 'c'],
    ['a 90-character resource group', 'g'.repeat(90), 'c'],
    ['a one-character cluster', 'rg', 'c'],
    ['a 63-character cluster', 'rg', `a${'-'.repeat(61)}z`],
  ])('accepts %s', (_what, group, name) => {
    expect(parseClusterResourceId(id(group, name), 'topic').name).toBe(name);
  });

  it.each([
    ['a `..` cluster name', id('web', '..')],
    ['a `.` cluster name', id('web', '.')],
    ['a `..` resource group', id('..', 'web-dev')],
    ['a `.` resource group', id('.', 'web-dev')],
    ['a resource group ending in a period', id('web.', 'web-dev')],
    ['an empty resource group', id('', 'web-dev')],
    ['an encoded slash', id('web%2F..', 'web-dev')],
    ['an encoded cluster name', id('web', 'web-dev%2F..')],
    ['a 91-character resource group', id('g'.repeat(91), 'web-dev')],
    ['a 64-character cluster name', id('web', 'c'.repeat(64))],
    ['a cluster name ending in a hyphen', id('web', 'web-')],
    ['a cluster name with a period', id('web', 'web.dev')],
    ['a subscription that is not a GUID', id('web', 'web-dev').replace(SUB, '..')],
    ['another resource type', id('web', 'web-dev').replace('managedClusters', 'agentPools')],
    ['another provider', id('web', 'web-dev').replace('ContainerService', 'Compute')],
    ['anything after the cluster of a topic', id('web', 'web-dev', '/agentPools/system')],
    ['a relative path after the cluster', id('web', 'web-dev', '/../../../../providers/Microsoft.Authorization/roleAssignments')],
    ['a trailing slash', id('web', 'web-dev', '/')],
    ['no leading slash', id('web', 'web-dev').slice(1)],
    ['whitespace around it', ` ${id('web', 'web-dev')}`],
  ])('refuses %s, naming the field', (_what, resourceId) => {
    expect(() => parseClusterResourceId(resourceId, 'topic')).toThrow(/^topic: not a managed cluster resource id \(/);
  });

  it('takes a resource under the cluster only when asked (policy subjects), and never a relative or encoded segment there', () => {
    expect(parseClusterResourceId(id('web', 'web-dev', '/agentPools/system'), 'subject', { allowChild: true }).id).toBe(id('web', 'web-dev'));
    for (const rest of ['/..', '/./x', '//x', '/a%2Fb', '/x/']) {
      expect(() => parseClusterResourceId(id('web', 'web-dev', rest), 'subject', { allowChild: true })).toThrow(/^subject: /);
    }
  });

  it('tells an id under managedClusters from any other resource', () => {
    expect(namesManagedCluster(id('web', '..'))).toBe(true);
    expect(namesManagedCluster(`/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Network/publicIPAddresses/ip`)).toBe(false);
  });
});
