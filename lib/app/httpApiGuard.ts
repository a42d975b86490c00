/**
 * The HTTP API trusts `x-ms-client-principal` only because App Service Authentication strips it
 * from incoming requests and sets it from a validated token. Without authentication configured,
 * anyone holding the function key could forge any principal and role, so the API is not served:
 * every route answers 503 naming the missing setting, and the worker logs it once. Local runs (the
 * simulator, the demo, tests, `func start`) say so explicitly with FLEETGUARD_LOCAL_DEVELOPMENT_AUTH.
 */
import { type FleetGuardConfig, getConfig } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { type FailureLog, unavailable } from '../publicError.js';
import { getStoredRuntime, type StoredClients } from './runtime.js';

export interface HttpRefusal {
  status: 503;
  body: { error: string };
}

/** Why the HTTP API may not be served with this configuration, or undefined when it may. */
export function httpApiRefusalReason(config: FleetGuardConfig): string | undefined {
  if (config.httpAuth.appServiceAuthentication || config.httpAuth.localDevelopment === 'allow-unauthenticated-header') return undefined;
  return (
    'the HTTP API is not served: App Service Authentication is not configured (WEBSITE_AUTH_ENABLED is not True), so the caller in ' +
    'x-ms-client-principal cannot be trusted. Turn on App Service Authentication with Entra ID (infra/main.bicep does), ' +
    'or for local development only set FLEETGUARD_LOCAL_DEVELOPMENT_AUTH=allow-unauthenticated-header'
  );
}

const consoleLog: FailureLog = (message) => console.error(message);
let loggedFor: FleetGuardConfig | undefined;

/**
 * The 503 every HTTP route answers when authentication is not configured, logged once per parsed
 * configuration (once per worker); undefined when the API may be served. A malformed setting throws,
 * as on every other invocation.
 */
export function refuseUnauthenticatedHttpApi(log: FailureLog = consoleLog): HttpRefusal | undefined {
  const config = getConfig();
  const reason = httpApiRefusalReason(config);
  if (reason === undefined) return undefined;
  if (loggedFor !== config) {
    loggedFor = config;
    log(reason);
  }
  return { status: 503, body: { error: reason } };
}

/**
 * The worker's stored runtime for an HTTP route, or a 503 in words when storage cannot be reached
 * (the storage error is logged with a correlation id, not answered). A malformed setting still throws.
 */
export async function storedRuntimeForHttp(what: string): Promise<{ config: FleetGuardConfig; clients: StoredClients } | ReturnType<typeof unavailable>> {
  try {
    return await getStoredRuntime();
  } catch (error) {
    if (error instanceof FleetGuardError && error.reason === 'config') throw error;
    return unavailable(what, error);
  }
}
