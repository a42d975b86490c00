import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The project root. */
export const projectRoot = path.resolve(here, '..', '..');
/** The conformance sample of shared/samples, kept in the repo so a clone tests without shared/. */
export const conformanceSample = path.resolve(projectRoot, 'test', 'fixtures', 'fleet-sample');
export const conformanceExpected = path.resolve(projectRoot, 'test', 'fixtures', 'fleet-sample.expected.json');
/** Real Azure REST example bodies (ARM/azure-rest-api-specs examples), kept in the repo for tests. */
export const restExamples = path.resolve(projectRoot, 'test', 'fixtures', 'azure-rest-examples');
