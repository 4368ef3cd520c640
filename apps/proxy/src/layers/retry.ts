/**
 * Retries (outbound), above the per-try part of the chain (pickEndpoint → perTryTimeout → forward), as
 * linkerd2-proxy and Envoy do them. Under the request's RetryPolicy (the matched rule's, else the destination
 * service's; none: one try, as before policies): up to `attempts` tries, with exponential backoff and jitter
 * between them, when a try ends in one of the `retryOn` conditions (policies/retry/retry-plan.ts), to another
 * endpoint than those already tried while one is left.
 *
 * Never retried: a non-idempotent method without `nonIdempotent` (not even after a connect failure: the proxy
 * cannot prove a pooled connection failed before the upstream saw the request), a request whose body is over
 * REPLAY_BODY_CAP_BYTES, a reply the proxy wrote itself below this layer (no endpoints, overflow), a try cut by
 * the client or the request deadline, and any try the destination's retry budget has no room for.
 *
 * The discarded answer of a retried try has its body destroyed. Each try is visible: a CLIENT span per try
 * (telemetry records `req.attempts`), and the retry counters; request metrics still count the request once.
 * Backoff waits end early when the client goes away or the deadline passes.
 */
import type { ServicePolicy } from '@weft/schema';
import type { AttemptRecord, ProxyErrorKind, ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { Backoff } from '../telemetry/backoff.ts';
import { bufferForReplay, replay } from '../policies/retry/replayable-body.ts';
import { RetryBudgets } from '../policies/retry/retry-budget.ts';
import type { RetryMetrics } from '../policies/retry/retry-metrics.ts';
import { retryPlanFor } from '../policies/retry/request-timeouts.ts';
import {
  mayRetryMethod,
  retriesFailure,
  retriesStatus,
  type RetryPlan,
} from '../policies/retry/retry-plan.ts';
import { classifyUpstreamFailure } from '../upstream/upstream-failure.ts';
import { discardBody } from './deadline.ts';

export interface RetryOptions {
  policies: () => readonly ServicePolicy[] | undefined;
  metrics: RetryMetrics;
  budgets?: RetryBudgets;
  random?: () => number;
}

type TryResult = { res: ProxyResponse; err?: undefined } | { res?: undefined; err: unknown };

export function retry(o: RetryOptions): Layer {
  const budgets = o.budgets ?? new RetryBudgets();
  const random = o.random ?? Math.random;
  return (next) => async (req) => {
    const route = req.route;
    const plan = route === undefined ? undefined : retryPlanFor(req, o.policies());
    if (route === undefined || plan === undefined || plan.attempts <= 1) return next(req);
    const budget = budgets.for(route.service, route.namespace, plan.budget);
    budget.recordRequest();
    if (!mayRetryMethod(plan, req.method)) return next(req);

    let chunks: readonly Buffer[] | undefined;
    if (req.body !== null) {
      const body = req.body;
      // A body that trickles past the deadline (or a client that leaves) must not keep this wait alive.
      const stop = (req.attemptSignal ?? req.signal).whenAborted(() => body.destroy());
      const buffered = await bufferForReplay(body).finally(stop);
      if (buffered.kind === 'too-large') {
        req.body = buffered.body;
        return next(req);
      }
      chunks = buffered.chunks;
    }

    const tried = new Set<string>();
    req.triedEndpoints = tried;
    const backoff = new Backoff({
      initialMs: plan.backoff.baseMs,
      maxMs: plan.backoff.maxMs,
      jitter: plan.backoff.jitter,
      random,
    });
    let spanId: string | undefined;
    let startedAt = req.receivedAt;
    // What the previous try failed with: the reason the retry is counted under.
    let retriedFor = '';
    for (let attempt = 1; ; attempt++) {
      if (chunks !== undefined) req.body = replay(chunks);
      req.error = undefined;
      const result = await tryOnce(next, req);
      if (req.upstream !== undefined) tried.add(req.upstream);
      const failed = retryable(plan, req, result);
      if (attempt > 1)
        o.metrics.retried(route.service, route.namespace, failed ? 'failure' : 'success', retriedFor);
      if (failed === undefined || attempt >= plan.attempts || timeLeft(req) <= 0) return settle(result);
      if (!budget.tryRetry()) {
        o.metrics.budgetExhausted(route.service, route.namespace);
        return settle(result);
      }
      if (result.res !== undefined) discardBody(result.res);
      const finished = record(req, spanId, startedAt, failed);
      retriedFor = failed.error ?? String(failed.status);
      const waited = await sleep(Math.min(backoff.next(), Math.max(0, timeLeft(req))), req);
      // Gone or past the deadline: requestDeadline (or the listener) answers; this try stays the last.
      if (!waited) return settle(result);
      (req.attempts ??= []).push(finished);
      startedAt = performance.now();
      spanId = req.newAttemptSpan?.();
    }
  };
}

async function tryOnce(
  next: (req: ProxyRequest) => Promise<ProxyResponse>,
  req: ProxyRequest,
): Promise<TryResult> {
  try {
    return { res: await next(req) };
  } catch (err) {
    return { err };
  }
}

function settle(result: TryResult): ProxyResponse {
  if (result.res !== undefined) return result.res;
  throw result.err;
}

/** Why the try may be retried: its status and error kind; undefined when it may not. */
function retryable(
  plan: RetryPlan,
  req: ProxyRequest,
  result: TryResult,
): { status: number; error: ProxyErrorKind | undefined } | undefined {
  const cancelled = (req.attemptSignal ?? req.signal).aborted;
  if (result.res !== undefined) {
    // The proxy's own replies below this layer (no endpoints, overflow) are not the upstream's failures;
    // an upstream proxy's own 502/504 are.
    if (req.error !== undefined || cancelled) return undefined;
    return retriesStatus(plan, result.res.status)
      ? { status: result.res.status, error: undefined }
      : undefined;
  }
  if (cancelled) return undefined;
  const failure = classifyUpstreamFailure(result.err, false);
  return retriesFailure(plan, failure.kind, failure.status)
    ? { status: failure.status, error: failure.kind }
    : undefined;
}

function record(
  req: ProxyRequest,
  spanId: string | undefined,
  startedAt: number,
  failed: { status: number; error: ProxyErrorKind | undefined },
): AttemptRecord {
  return {
    spanId,
    startedAt,
    endedAt: performance.now(),
    status: failed.status,
    error: failed.error,
    destination: req.destination,
  };
}

function timeLeft(req: ProxyRequest): number {
  return req.deadline === undefined ? Infinity : req.deadline - performance.now();
}

/** Waits `ms`; false when the request was cancelled first (client gone, deadline passed). */
function sleep(ms: number, req: ProxyRequest): Promise<boolean> {
  const signal = req.attemptSignal ?? req.signal;
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop();
      resolve(true);
    }, ms);
    const stop = signal.whenAborted(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
