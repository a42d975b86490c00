/**
 * A local stand-in for the Azure Functions Node worker (tests and local rehearsals). The real worker injects the module
 * `@azure/functions-core`; we supply it ourselves, capture every `registerFunction(metadata,
 * handler)` call the app makes, and invoke handlers through the library's own programming model
 * (getInvocationModel → getArguments → invokeFunction → getResponse), as the worker does.
 */
import { randomUUID } from 'node:crypto';
import Module from 'node:module';

export interface BindingMetadata {
  type: string;
  direction: string;
  [setting: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingMetadata>;
  retryOptions?: unknown;
}

export interface CapturedFunction {
  metadata: FunctionMetadata;
  handler: (...args: unknown[]) => unknown;
}

export interface HostLog {
  functionName: string | undefined;
  level: string;
  category: string;
  message: string;
}

interface RpcTypedData {
  string?: string;
  json?: string;
  http?: Record<string, unknown>;
}

export interface HttpCall {
  method: string;
  /** Path under https://localhost:7071, e.g. /api/silences */
  path: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  body?: string;
}

interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CapturedFunction['handler']): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

interface ProgrammingModel {
  name: string;
  getInvocationModel(coreContext: unknown): InvocationModel;
}

type RequireFunction = (this: NodeJS.Module, id: string) => unknown;

export class LocalFunctionsHost {
  readonly functions = new Map<string, CapturedFunction>();
  readonly logs: HostLog[] = [];
  /** Data for non-trigger input bindings by binding type (e.g. `durableClient`). */
  readonly bindingInputs = new Map<string, RpcTypedData>();
  private programmingModel: ProgrammingModel | undefined;

  /** The module the worker would inject. */
  private readonly coreApi = {
    version: '3.10.1',
    setProgrammingModel: (model: ProgrammingModel) => {
      this.programmingModel = model;
    },
    getProgrammingModel: () => this.programmingModel,
    registerFunction: (metadata: FunctionMetadata, handler: CapturedFunction['handler']) => {
      if (this.functions.has(metadata.name)) throw new Error(`function ${metadata.name} registered twice`);
      this.functions.set(metadata.name, { metadata, handler });
      return { dispose: () => this.functions.delete(metadata.name) };
    },
    registerHook: () => ({ dispose: () => undefined }),
    log: (level: string, category: string, message: string) => this.logs.push({ functionName: undefined, level, category, message }),
  };

  private static readonly loaded = new Map<string, LocalFunctionsHost>();

  /**
   * Installs the core module, then imports the app entry so its registrations land here. An entry
   * registers once per process (modules are cached), so a second load returns the same host.
   */
  static async load(entry: string): Promise<LocalFunctionsHost> {
    const existing = LocalFunctionsHost.loaded.get(entry);
    if (existing !== undefined) return existing;
    const host = new LocalFunctionsHost();
    const prototype = Module.prototype as unknown as { require: RequireFunction };
    const originalRequire = prototype.require;
    prototype.require = function (this: NodeJS.Module, id: string) {
      return id === '@azure/functions-core' ? host.coreApi : originalRequire.call(this, id);
    };
    await import(entry);
    LocalFunctionsHost.loaded.set(entry, host);
    return host;
  }

  /**
   * Test runners that run several test files in one process: empty the log of every loaded host,
   * so a file's log assertions see only its own invocations.
   */
  static forgetLogs(): void {
    for (const host of LocalFunctionsHost.loaded.values()) host.logs.length = 0;
  }

  get(name: string): CapturedFunction {
    const captured = this.functions.get(name);
    if (captured === undefined) throw new Error(`no function named ${name}; registered: ${[...this.functions.keys()].join(', ')}`);
    return captured;
  }

  triggerBinding(name: string): [string, BindingMetadata] {
    const binding = Object.entries(this.get(name).metadata.bindings).find(([, value]) => /trigger$/i.test(value.type));
    if (binding === undefined) throw new Error(`function ${name} has no trigger binding`);
    return binding;
  }

  /** Invokes a function with the trigger payload the host would send (as RPC typed data). */
  async invoke(name: string, triggerData: RpcTypedData, triggerMetadata: Record<string, RpcTypedData> = {}) {
    const captured = this.get(name);
    if (this.programmingModel === undefined) throw new Error('the app never set its programming model');
    const [bindingName] = this.triggerBinding(name);
    const invocationId = randomUUID();
    const coreContext = {
      invocationId,
      request: { invocationId, functionId: name, inputData: [{ name: bindingName, data: triggerData }, ...this.extraInputData(captured)], triggerMetadata },
      metadata: captured.metadata,
      state: undefined,
      log: (level: string, category: string, message: string) => this.logs.push({ functionName: name, level, category, message }),
    };
    const model = this.programmingModel.getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    const result = await model.invokeFunction(context, inputs, captured.handler);
    return model.getResponse(context, result);
  }

  private extraInputData(captured: CapturedFunction): Array<{ name: string; data: RpcTypedData }> {
    return Object.entries(captured.metadata.bindings)
      .filter(([, binding]) => binding.direction === 'in' && !/trigger$/i.test(binding.type))
      .flatMap(([name, binding]) => {
        const data = this.bindingInputs.get(binding.type);
        return data === undefined ? [] : [{ name, data }];
      });
  }

  /** A timer tick as the host delivers it (PascalCase JSON, camel-cased by the library). */
  invokeTimer(name: string, options: { isPastDue?: boolean } = {}) {
    const payload = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: options.isPastDue ?? false };
    return this.invoke(name, { json: JSON.stringify(payload) });
  }

  /** An Event Grid delivery: the host hands the event (either schema) over as JSON. */
  invokeEventGrid(name: string, event: unknown) {
    return this.invoke(name, { json: JSON.stringify(event) });
  }

  /** An HTTP request as the worker receives it (RPC http data); the `$return` http data decoded. */
  /** The response body is parsed when it is JSON and returned as text otherwise (the report's HTML). */
  async invokeHttp(name: string, call: HttpCall): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const http = {
      method: call.method,
      url: `https://localhost:7071${call.path}`,
      headers: { 'content-type': 'application/json', ...call.headers },
      params: call.params ?? {},
      query: {},
      ...(call.body === undefined ? {} : { body: { string: call.body } }),
    };
    const response = await this.invoke(name, { http });
    const returned = (
      response.returnValue as { http?: { statusCode?: string; headers?: Record<string, string>; body?: { bytes?: Uint8Array; string?: string } } } | undefined
    )?.http;
    const raw = returned?.body?.bytes ? Buffer.from(returned.body.bytes).toString('utf8') : (returned?.body?.string ?? '');
    const headers = Object.fromEntries(Object.entries(returned?.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
    const isJson = (headers['content-type'] ?? 'application/json').includes('json');
    return { status: Number(returned?.statusCode ?? 0), body: raw === '' ? undefined : isJson ? (JSON.parse(raw) as unknown) : raw, headers };
  }

  logsOf(name: string): HostLog[] {
    return this.logs.filter((entry) => entry.functionName === name);
  }
}
