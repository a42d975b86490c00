export { type CapturedFunction, type HostLog, type HttpCall, LocalFunctionsHost } from '../../lib/local/functionsHost.js';
