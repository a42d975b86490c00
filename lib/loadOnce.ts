/**
 * Cold start: what a function needs at registration (names, triggers, schedules) is small; what it
 * needs to run (the library, the SDKs, the full configuration) is most of the app. Handlers load
 * the latter on their first call through `loadOnce`.
 */

/**
 * A function returning `load()`'s promise, run on the first call and kept; run again after a
 * failure, so one failed load (a transient I/O error) does not fail every later call.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}
