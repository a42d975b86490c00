/**
 * Posture fuzz target: arbitrary and almost-valid ManagedCluster JSON through both ways it reaches
 * the rules. (1) A snapshot folder: `loadSnapshot` validates it. (2) Live: the simulator serves the
 * JSON as ARM would, the real ContainerServiceClient lists it, `toCluster` converts it and
 * `evaluateCluster` runs every AKS-* rule. Properties: nothing throws but a named input error;
 * what is accepted is evaluated (every rule, findings only for evaluated rules); what the
 * snapshot validation accepts, the live path converts in full.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';

import { type AzureClients, createAzureClients } from '../../lib/app/clients.js';
import { FleetGuardError } from '../../lib/errors.js';
import type { Cluster } from '../../lib/model/cluster.js';
import type { KubernetesVersionCatalog } from '../../lib/model/kubernetesVersions.js';
import { CLUSTER_RULES, evaluateCluster } from '../../lib/posture/evaluateCluster.js';
import { type LocalAzure, startLocalAzure } from '../../tooling/simulator/localAzure.js';
import { sampleFleetDirectory } from '../../tooling/simulator/sampleFleet.js';
import { loadSnapshot } from '../../tooling/simulator/snapshot.js';
import { restExamples } from '../harness/fixtures.js';
import { type FuzzTarget, violated } from './fuzzTarget.js';
import { type Json, mutated } from './jsonMutations.js';

export interface PostureInput {
  /** The entries of `value` in the body of the managed-cluster list. */
  clusters: Json[];
  /** Body of `GET .../locations/northeurope/kubernetesVersions`. */
  versions: Json;
}

export interface RunningFuzzTarget<T> extends FuzzTarget<T> {
  close(): Promise<void>;
}

const SUBSCRIPTION = '99999999-9999-4999-8999-999999999999';
const LOCATION = 'northeurope';
const ALL_RULES = CLUSTER_RULES.map((rule) => rule.id);
const CLUSTER_RULES_ONLY = CLUSTER_RULES.filter((rule) => rule.needs === 'cluster').map((rule) => rule.id);
/** A snapshot error names the file, then the field: `value[0].properties.enableRBAC`, `values[1].version`, `(top level)`. */
const SNAPSHOT_FIELD = /^[^:]+\.json: (value|values|\(top level\)|cluster )/;

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** Valid clusters to mutate: the sample fleet (moved into our subscription) and ARM's documented example. */
function validClusters(): Json[] {
  const sample = (readJson(path.join(sampleFleetDirectory(), 'managedClusters.json')) as { value: Array<{ [key: string]: Json }> }).value;
  const example = (
    readJson(path.join(restExamples, 'ManagedClustersGet.2025-07-01.json')) as {
      responses: { 200: { body: { [key: string]: Json } } };
    }
  ).responses[200].body;
  return [...sample, { ...example, location: LOCATION }].map((cluster) => ({
    ...cluster,
    id: (cluster['id'] as string).replace(/\/subscriptions\/[^/]+/i, `/subscriptions/${SUBSCRIPTION}`),
  }));
}

export function postureArbitrary(): fc.Arbitrary<PostureInput> {
  const valid = validClusters();
  const versions = readJson(path.join(sampleFleetDirectory(), 'kubernetesVersions', `${LOCATION}.json`));
  const arbitraryJson = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }) as fc.Arbitrary<Json>;
  // Distinct base clusters, so a case is not an input error merely for listing one id twice.
  const mutatedClusters = fc
    .shuffledSubarray(valid, { minLength: 1, maxLength: 3 })
    .chain((picked) =>
      fc.tuple(...picked.map((cluster) => fc.oneof({ arbitrary: mutated(fc.constant(cluster)), weight: 4 }, { arbitrary: fc.constant(cluster), weight: 1 }))),
    );
  return fc.record({
    clusters: fc.oneof(
      { arbitrary: mutatedClusters, weight: 6 },
      { arbitrary: fc.array(arbitraryJson, { maxLength: 3 }), weight: 1 },
      // Arbitrary objects with a valid id, so they get past the id check into the rules.
      {
        arbitrary: fc.array(
          fc
            .dictionary(fc.string(), arbitraryJson, { maxKeys: 6 })
            .map((entry) => ({ ...entry, id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/fuzz` })),
          { maxLength: 1 },
        ),
        weight: 1,
      },
    ),
    versions: fc.oneof(
      { arbitrary: fc.constant(versions), weight: 4 },
      { arbitrary: mutated(fc.constant(versions)), weight: 2 },
      { arbitrary: arbitraryJson, weight: 1 },
    ),
  });
}

/** A FleetGuardError whose cause is not a TypeError or RangeError from our own code. */
function assertCleanFailure(error: unknown, what: string): FleetGuardError {
  if (!(error instanceof FleetGuardError)) violated(`${what} threw ${String(error)}`);
  const cause = error.cause;
  if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof SyntaxError)
    violated(`${what} failed with a bug, not an input error: ${error.message}`);
  return error;
}

function checkEvaluation(cluster: Cluster, catalog: KubernetesVersionCatalog | undefined): string {
  let evaluation: ReturnType<typeof evaluateCluster>;
  try {
    evaluation = evaluateCluster(cluster, catalog);
  } catch (error) {
    violated(`evaluateCluster threw on ${JSON.stringify(cluster).slice(0, 500)}: ${String(error)}`);
  }
  const expected = catalog === undefined ? CLUSTER_RULES_ONLY : ALL_RULES;
  if (JSON.stringify(evaluation.evaluatedRuleIds) !== JSON.stringify(expected))
    violated(`rules evaluated: ${evaluation.evaluatedRuleIds.join(',')}, expected ${expected.join(',')}`);
  for (const finding of evaluation.findings) {
    if (!evaluation.evaluatedRuleIds.includes(finding.ruleId)) violated(`finding of a rule that was not evaluated: ${finding.ruleId}`);
    if (finding.resourceId !== cluster.id || finding.fingerprint === '')
      violated(`finding without its cluster or fingerprint: ${JSON.stringify(finding).slice(0, 300)}`);
  }
  return evaluation.findings.length > 0 ? 'live: finding' : 'live: no finding';
}

export async function startPostureTarget(): Promise<RunningFuzzTarget<PostureInput>> {
  const local: LocalAzure = await startLocalAzure({
    snapshot: loadSnapshot(sampleFleetDirectory()),
    extraSubscriptions: [SUBSCRIPTION],
    settings: { FLEETGUARD_HTTP_MAX_RETRIES: '0' },
  });
  const clients: AzureClients = createAzureClients(local.config);
  const directory = mkdtempSync(path.join(tmpdir(), 'fleetguard-fuzz-'));
  mkdirSync(path.join(directory, 'kubernetesVersions'));

  function snapshotOutcome(input: PostureInput): boolean {
    writeFileSync(path.join(directory, 'managedClusters.json'), JSON.stringify({ value: input.clusters }));
    writeFileSync(path.join(directory, 'kubernetesVersions', `${LOCATION}.json`), JSON.stringify(input.versions));
    try {
      loadSnapshot(directory);
      return true;
    } catch (error) {
      const failure = assertCleanFailure(error, 'loadSnapshot');
      if (failure.reason !== 'badInput' || !SNAPSHOT_FIELD.test(failure.message))
        violated(`snapshot error does not name the file and field: ${failure.message}`);
      return false;
    }
  }

  async function liveOutcome(input: PostureInput, snapshotAccepted: boolean): Promise<string[]> {
    const served = local.simulator.fleet.clustersOf(SUBSCRIPTION);
    served.splice(0, served.length, ...(structuredClone(input.clusters) as Array<Record<string, unknown>>));
    local.simulator.fleet.versionsByLocation.set(LOCATION, structuredClone(input.versions) as Record<string, unknown>);
    let listing: Awaited<ReturnType<typeof clients.containerService.listClusters>>;
    try {
      listing = await clients.containerService.listClusters(SUBSCRIPTION);
    } catch (error) {
      const failure = assertCleanFailure(error, 'listing clusters');
      if (snapshotAccepted) violated(`the snapshot accepted what the live listing failed on: ${failure.message}`);
      return ['live: listing error'];
    }
    const labels: string[] = [];
    for (const rejected of listing.rejected) {
      if (!/\(field: [\w.]+\)/.test(rejected.problem)) violated(`a rejected cluster's problem does not name the field: ${rejected.problem}`);
      labels.push('live: rejected (field named)');
    }
    if (snapshotAccepted && (listing.rejected.length > 0 || listing.clusters.length !== input.clusters.length)) {
      violated(
        `the snapshot accepted ${input.clusters.length} clusters, the live path converted ${listing.clusters.length}: ${listing.rejected.map((entry) => entry.problem).join('; ')}`,
      );
    }
    const catalogs = new Map<string, KubernetesVersionCatalog | undefined>();
    for (const location of new Set(listing.clusters.map((cluster) => cluster.location))) {
      try {
        catalogs.set(location, await clients.containerService.listKubernetesVersions(SUBSCRIPTION, location));
      } catch (error) {
        // As in a sweep: the location's version rules are skipped, the rest still run.
        assertCleanFailure(error, `listing versions of ${location}`);
        catalogs.set(location, undefined);
      }
    }
    for (const cluster of listing.clusters) labels.push(checkEvaluation(cluster, catalogs.get(cluster.location)));
    return labels;
  }

  return {
    name: 'posture',
    arbitrary: postureArbitrary(),
    async check(input) {
      const accepted = snapshotOutcome(input);
      return [accepted ? 'snapshot: accepted' : 'snapshot: input error', ...(await liveOutcome(input, accepted))];
    },
    async close() {
      await local.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
