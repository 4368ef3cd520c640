/**
 * A FaultInjectionPolicy compiled for the data path (Envoy's HTTP fault filter): which requests it applies
 * to, and per request whether to delay it and whether to abort it. Delay and abort are drawn independently,
 * as Envoy does: a request can be delayed and then aborted. Percentages are of the matching requests.
 */
import { durationMs, type ServicePolicy } from '@weft/schema';
import type { RandomSource } from '../../routing/split.ts';
import { RequestMatches } from './compiled-matches.ts';

export type FaultSpec = NonNullable<ServicePolicy['faultInjection']>;

export interface FaultDecision {
  /** Wait this long before going on; 0: no delay. */
  delayMs: number;
  /** Answer with this status instead of forwarding; undefined: no abort. */
  abortStatus: number | undefined;
}

const NO_FAULT: FaultDecision = { delayMs: 0, abortStatus: undefined };

export class CompiledFault {
  readonly source: string;
  readonly matches: RequestMatches;
  readonly delayMs: number;
  /** Share of matching requests delayed, 0..1. */
  readonly delayShare: number;
  readonly abortStatus: number | undefined;
  /** Share of matching requests aborted, 0..1. */
  readonly abortShare: number;

  constructor(spec: FaultSpec) {
    this.source = spec.source;
    this.matches = new RequestMatches(spec.matches);
    this.delayMs = spec.delay === undefined ? 0 : durationMs(spec.delay.duration);
    this.delayShare = spec.delay === undefined || this.delayMs === 0 ? 0 : spec.delay.percentage / 100;
    this.abortStatus = spec.abort?.status;
    this.abortShare = spec.abort === undefined ? 0 : spec.abort.percentage / 100;
  }

  /**
   * One draw for the delay, then one for the abort, each only when that fault is configured, so a policy
   * with one fault draws once per request. `random() < share`: 0% never fires, 100% always does.
   */
  decide(random: RandomSource): FaultDecision {
    const delayed = this.delayShare > 0 && random() < this.delayShare;
    const aborted = this.abortShare > 0 && random() < this.abortShare;
    if (!delayed && !aborted) return NO_FAULT;
    return { delayMs: delayed ? this.delayMs : 0, abortStatus: aborted ? this.abortStatus : undefined };
  }
}

const compiled = new WeakMap<FaultSpec, CompiledFault>();

/** Compiled once per policy object of the config in force. */
export function compiledFault(spec: FaultSpec): CompiledFault {
  let c = compiled.get(spec);
  if (c === undefined) {
    c = new CompiledFault(spec);
    compiled.set(spec, c);
  }
  return c;
}
