/**
 * A policy's `Programmed` condition, from what the proxies told us (plain objects in, a condition out):
 *
 * - True (reason Programmed, observedGeneration g) when every live proxy (at least one) has ACKed a
 *   config version that carries generation g of the policy;
 * - False (reason Refused, with the proxy's reason) when a live proxy's latest answer is a NACK of a version
 *   carrying g, and the NACK names this policy or names no policy at all (then we cannot tell which part
 *   it refused, so every policy of that version counts as refused);
 * - Unknown (reason Pending) otherwise.
 *
 * Policies that are not in the config say why: False/NotAccepted, False/Conflicted (an older or more specific
 * policy of the same kind holds the same Service or route rule), False/Invalid for a kind that cannot act on
 * its target (a CircuitBreakerPolicy for a route), False/TargetNotFound while an accepted policy's route or
 * rule is not there (until re-validation takes Accepted back, or the route comes back).
 *
 * Once True for generation g it stays True until g changes or a proxy NACKs: a proxy that joins, or every
 * proxy reconnecting after an API restart (ACK state lives in memory), does not flip it back to Pending,
 * because the proxies that had ACKed g still run it. A new message alone (the count of a Pending) is not
 * written: status writes move the policy's resourceVersion, and editors must not see it move for that.
 */
import type { Condition } from '@weft/schema';
import { programKey, type PolicyProgram } from './compile.ts';

export interface ProxyConfigState {
  proxyId: string;
  /** The version last sent to the proxy (stream or long poll). */
  configVersion: string | null;
  /** The version the proxy last said it put in force, and when. */
  ackedVersion: string | null;
  ackedAtMs: number | null;
  /** The proxy's latest answer was a NACK (cleared by the next ACK). */
  nack: { version: string; reason: string } | null;
}

export interface ProgrammedInput {
  liveProxyIds: readonly string[];
  states: ReadonlyMap<string, ProxyConfigState>;
  /** The program keys (source@generation) a config version carried, if the version is still known. */
  contents: (version: string) => ReadonlySet<string> | undefined;
}

export type ProgrammedStatus = Pick<Condition, 'status' | 'reason' | 'message'> & {
  observedGeneration: number;
};

/** How much of a proxy's NACK reason goes into a condition message. */
const MAX_REASON_IN_MESSAGE = 2000;

export function programmedStatus(program: PolicyProgram, input: ProgrammedInput): ProgrammedStatus {
  const observedGeneration = program.generation;
  const outcome = program.outcome;
  switch (outcome.kind) {
    case 'not-accepted':
      return {
        status: 'False',
        reason: 'NotAccepted',
        message: 'not sent to proxies: the policy is not Accepted (see its Accepted condition)',
        observedGeneration,
      };
    case 'conflicted':
      return {
        status: 'False',
        reason: 'Conflicted',
        message: `not sent to proxies: ${outcome.winner} already applies to ${outcome.target} (the older, or the one that names the rule, wins); delete one of them`,
        observedGeneration,
      };
    case 'unsupported-target':
      return { status: 'False', reason: 'Invalid', message: outcome.message, observedGeneration };
    case 'target-not-found':
      return { status: 'False', reason: 'TargetNotFound', message: outcome.message, observedGeneration };
    case 'compiled':
      break;
  }
  const key = programKey(program);
  let acked = 0;
  for (const proxyId of input.liveProxyIds) {
    const state = input.states.get(proxyId);
    if (!state) continue;
    if (state.nack && input.contents(state.nack.version)?.has(key)) {
      const nacked = input.contents(state.nack.version)!;
      if (nackBlames(state.nack.reason, program.source, nacked)) {
        return {
          status: 'False',
          reason: 'Refused',
          message: `proxy ${proxyId} refused config ${state.nack.version}: ${cap(state.nack.reason)}`,
          observedGeneration,
        };
      }
      // The NACK names other policies only: the proxy runs the parts it did not refuse, this one included.
      acked++;
      continue;
    }
    if (state.ackedVersion !== null && input.contents(state.ackedVersion)?.has(key)) acked++;
  }
  const live = input.liveProxyIds.length;
  if (live > 0 && acked === live) {
    return {
      status: 'True',
      reason: 'Programmed',
      message: 'every live proxy has ACKed a config with this generation',
      observedGeneration,
    };
  }
  return {
    status: 'Unknown',
    reason: 'Pending',
    message:
      live === 0
        ? `no proxy is live yet to ACK generation ${observedGeneration}`
        : `${acked} of ${live} live proxies have ACKed a config with generation ${observedGeneration}`,
    observedGeneration,
  };
}

/** Whether a NACK counts against `source`: it names it, or it names no policy of the version at all. */
function nackBlames(reason: string, source: string, version: ReadonlySet<string>): boolean {
  if (mentions(reason, source)) return true;
  for (const key of version) {
    if (mentions(reason, key.slice(0, key.lastIndexOf('@')))) return false;
  }
  return true;
}

/** `source` appears in `text` as a whole name ("TrafficSplit shop/a" is not in "TrafficSplit shop/ab"). */
function mentions(text: string, source: string): boolean {
  for (let at = text.indexOf(source); at >= 0; at = text.indexOf(source, at + 1)) {
    const after = text.slice(at + source.length, at + source.length + 2);
    // A name goes on with a letter, digit or "-", or with "." and a letter or digit (not a full stop).
    if (!/^([a-z0-9-]|\.[a-z0-9])/.test(after)) return true;
  }
  return false;
}

/**
 * The condition to write, or null when the stored one already says this (or is a True for the same
 * generation that a Pending must not undo).
 */
export function nextProgrammedCondition(
  previous: Condition | undefined,
  next: ProgrammedStatus,
  nowIso: string,
): Condition | null {
  if (previous) {
    const sameGeneration = previous.observedGeneration === next.observedGeneration;
    if (sameGeneration && previous.status === 'True' && next.status === 'Unknown') return null;
    if (
      sameGeneration &&
      previous.status === next.status &&
      previous.reason === next.reason &&
      (previous.message === next.message || next.status !== 'False')
    ) {
      return null;
    }
  }
  return {
    type: 'Programmed',
    status: next.status,
    reason: next.reason,
    message: next.message,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : nowIso,
    observedGeneration: next.observedGeneration,
  };
}

function cap(text: string): string {
  return text.length > MAX_REASON_IN_MESSAGE ? `${text.slice(0, MAX_REASON_IN_MESSAGE)}…` : text;
}
