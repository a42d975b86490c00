import type { TestProject } from 'vitest/node';

import { startAzuriteTables } from '../../tooling/simulator/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

/** One in-process Azurite for the whole run; tests isolate themselves with their own table names. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzuriteTables();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return () => azurite.close();
}
