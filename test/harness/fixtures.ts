import path from 'node:path';

import { packageRoot } from '../../lib/packageRoot.js';

/** The project root, also when this module runs compiled from dist/ (benchmarks, the fuzz script). */
export const projectRoot = packageRoot();
/** The conformance sample of shared/samples, kept in the repo so a clone tests without shared/. */
export const conformanceSample = path.resolve(projectRoot, 'test', 'fixtures', 'fleet-sample');
export const conformanceExpected = path.resolve(projectRoot, 'test', 'fixtures', 'fleet-sample.expected.json');
/** Official AKS examples (azure-rest-api-specs), kept in the repo for tests; sources in its SOURCES.json. */
export const restExamples = path.resolve(projectRoot, 'test', 'fixtures', 'azure-rest', 'containerservice');
