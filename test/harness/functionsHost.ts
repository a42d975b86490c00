export { type CapturedFunction, type HostLog, type HttpCall, LocalFunctionsHost } from '../../tooling/local/functionsHost.js';
