/**
 * Cold start: the Azure SDK packages are most of what the Functions entry would load, yet a worker
 * may serve only the report or an Event Grid delivery and never call some of them. So the
 * composition root hands out stand-ins that import and build the real adapter on the first call.
 */
import { loadOnce } from '../loadOnce.js';

/** Every public member is an async method: a forwarder can stand in for the object unseen. */
export type AsyncMembers<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * An object of type T whose method calls wait for `load()` (run once; again after a failure) and
 * then call the real adapter's method. Only async methods may be forwarded, which the constraint
 * checks at compile time: a synchronous member would change its type by becoming a promise.
 */
export function lazyAdapter<T extends AsyncMembers<T>>(load: () => Promise<T>): T {
  const instance = loadOnce(load);
  return new Proxy({} as T, {
    get(_target, member) {
      // Not a thenable (an `await` of the stand-in must not call into the SDK), no symbol protocols.
      if (typeof member === 'symbol' || member === 'then') return undefined;
      return async (...args: unknown[]) => {
        const adapter = await instance();
        const method = (adapter as Record<string, unknown>)[member];
        if (typeof method !== 'function') throw new TypeError(`${member} is not a method of the adapter`);
        return (method as (...parameters: unknown[]) => Promise<unknown>).apply(adapter, args);
      };
    },
  });
}
