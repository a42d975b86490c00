/**
 * Azurite's Table service started in this process (in-memory, random port): real Azure Tables
 * semantics for tests and the demo, with no emulator to install or start by hand.
 * Azurite is a development dependency, loaded only when this is called.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** Azurite's well-known development account; not a secret. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  /** Connection string for `TableClient.fromConnectionString` (with `allowInsecureConnection`). */
  connectionString: string;
  tableEndpoint: string;
  close(): Promise<void>;
}

interface AzuriteTableServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type TableServerConstructor = new (configuration: unknown) => AzuriteTableServer;
type TableConfigurationConstructor = new (...args: unknown[]) => unknown;

export interface AzuriteOptions {
  /**
   * Keep the tables in this folder (LokiJS file) instead of memory, so a stopped Azurite can be
   * started again with its data, as a restarted emulator or service would have it.
   */
  location?: string;
  /** Listen on this port (restarting on the same endpoint); default any free one. */
  port?: number;
}

export async function startAzuriteTables(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  let TableServer: TableServerConstructor;
  let TableConfiguration: TableConfigurationConstructor;
  try {
    TableServer = (require('azurite/dist/src/table/TableServer') as { default: TableServerConstructor }).default;
    TableConfiguration = (require('azurite/dist/src/table/TableConfiguration') as { default: TableConfigurationConstructor }).default;
  } catch (error) {
    throw new Error(`Azurite is not installed (it is a development dependency: run npm ci without --omit=dev): ${(error as Error).message}`, { cause: error });
  }
  const configuration = new TableConfiguration(
    '127.0.0.1', // host
    options.port ?? 0, // port: any free one unless restarting
    undefined, // keep-alive timeout
    options.location === undefined ? ':memory:' : path.join(options.location, '__azurite_db_table__.json'), // metadata db path
    false, // debug log
    false, // access log
    undefined,
    undefined,
    true, // loose mode
    true, // skip API version check: the SDK may be newer than Azurite
    '',
    '',
    '',
    undefined,
    false,
    options.location === undefined, // in-memory persistence
  );
  const server = new TableServer(configuration);
  await server.start();
  const address = server.getHttpServerAddress();
  const port = new URL(address).port;
  const tableEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=${tableEndpoint};`,
    tableEndpoint,
    close: () => server.close(),
  };
}
