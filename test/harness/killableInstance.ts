/**
 * A function instance that can be killed mid-flight, as the Functions host does on a scale-in, a
 * deployment or a crash. Every outbound request of the instance (Azure Tables through an SDK
 * pipeline policy, notifications through its HttpPost) passes through `gate`; from the chosen
 * request on, nothing the instance started ever returns to it, so it records nothing more. The
 * request it dies on either never leaves (killed just before) or reaches the service and only the
 * answer is lost (killed just after): the two windows a real kill leaves.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import type { HttpPost } from '../../lib/alerts/transport.js';

export interface KillPlan {
  /** Count only requests of this kind. */
  on: 'table' | 'post';
  /** With `post`: count only notifications whose URL contains this (e.g. '/slack/'). */
  urlContains?: string;
  /** Die on the n-th such request (1-based). */
  at: number;
  /** Let that request reach the service before dying (the answer is lost). */
  afterSending: boolean;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class KillableInstance {
  dead = false;
  /** Set when the kill landed on a request that reached the service. */
  killedAfterSending = false;
  /** Every notification this instance started, answered or not. */
  readonly posts: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
  private counts = { table: 0, post: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();
  private markDead!: () => void;
  /** Resolves when the instance is killed. */
  readonly died = new Promise<void>((resolve) => {
    this.markDead = resolve;
  });

  constructor(readonly plan: KillPlan | undefined) {}

  /** Everything the instance sent has arrived or failed: a replacement starts after a dead instance's sockets are gone. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async gate<T>(kind: 'table' | 'post', send: () => Promise<T>, url = ''): Promise<T> {
    if (this.dead) return never();
    const counted = this.plan?.on === kind && url.includes(this.plan.urlContains ?? '');
    if (counted) this.counts[kind] += 1;
    if (counted && this.counts[kind] === this.plan?.at) {
      if (this.plan.afterSending) {
        this.killedAfterSending = true;
        await this.track(send()).catch(() => undefined);
      }
      this.dead = true;
      this.markDead();
      return never();
    }
    const result = await this.track(send());
    return this.dead ? never() : result;
  }

  /** Put in a TableClient's `additionalPolicies` (position `perCall`). */
  readonly tablePolicy: PipelinePolicy = { name: 'killableInstance', sendRequest: (request, next) => this.gate('table', () => next(request)) };

  post(inner: HttpPost): HttpPost {
    return (url, body, options) => {
      if (!this.dead) this.posts.push({ url, body, headers: options.headers });
      return this.gate('post', () => inner(url, body, options), url);
    };
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}
