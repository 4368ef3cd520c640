/**
 * Fault injection (Envoy's HTTP fault filter), outbound after pickVersion: for requests that match the
 * FaultInjectionPolicy in force (the matched route rule's, else the destination service's), with its delay
 * percentage wait its duration before going on, and with its abort percentage answer its status instead of
 * forwarding, marked `x-weft-proxy-error: fault-injected`. The two are drawn independently, delay first.
 * A client that goes away during a delay ends the wait at once (499, nothing forwarded). Each fault
 * injected counts in `weft_proxy_faults_injected_total` by kind and destination service.
 */
import type { ServicePolicy } from '@weft/schema';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { FaultCounters } from '../policies/fault/fault-counters.ts';
import { compiledFault, type CompiledFault } from '../policies/fault/fault-policy.ts';
import { policyForRequest } from '../policies/fault/request-policy.ts';
import type { RandomSource } from '../routing/split.ts';

export interface FaultInjectionOptions {
  /** The service policies of the config in force. */
  policies: () => readonly ServicePolicy[] | undefined;
  counters: FaultCounters;
  /** Draws delays and aborts; Math.random unless a test fixes the sequence. */
  random?: RandomSource;
}

export function faultInjection(o: FaultInjectionOptions): Layer {
  const random = o.random ?? Math.random;
  return (next) => (req) => {
    const spec = policyForRequest(req, o.policies(), 'faultInjection');
    if (spec === undefined) return next(req);
    const fault = compiledFault(spec);
    if (!fault.matches.test(req.method, req.path, req.headers)) return next(req);
    const decision = fault.decide(random);
    const service = req.route?.service ?? req.destination.service;
    const namespace = req.route?.namespace ?? req.destination.namespace;
    const status = decision.abortStatus;
    const after = (): Promise<ProxyResponse> => {
      if (status === undefined) return next(req);
      o.counters.add('abort', service, namespace);
      return Promise.resolve(aborted(req, fault, status));
    };
    if (decision.delayMs === 0) return after();
    o.counters.add('delay', service, namespace);
    return delay(req, decision.delayMs).then((clientGone) =>
      clientGone ? localReply(req, 499, 'client-aborted', 'client closed the request') : after(),
    );
  };
}

function aborted(req: ProxyRequest, fault: CompiledFault, status: number): ProxyResponse {
  return localReply(req, status, 'fault-injected', `fault injected by ${fault.source}: abort with ${status}`);
}

/** Resolves true when the client went away before `ms` passed. */
function delay(req: ProxyRequest, ms: number): Promise<boolean> {
  if (req.signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const cancel = req.signal.whenAborted(() => {
      clearTimeout(timer);
      resolve(true);
    });
    const timer = setTimeout(() => {
      cancel();
      resolve(false);
    }, ms);
  });
}
