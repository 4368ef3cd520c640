/**
 * The shop's plan: which service instances to run, where, and how they misbehave. The launcher builds it
 * from the port allocation; tests build their own (e.g. failure rates of 0 or 1).
 */
import { readFileSync } from 'node:fs';
import { parseHostPort } from '../common/net.ts';
import {
  DEMO_WORKLOADS,
  OUTSIDE_SERVICES,
  SERVICE_KINDS,
  type DemoWorkload,
  type OutsideService,
  type ServiceKind,
} from '../topology.ts';

export interface Behaviour {
  /** 0..1: share of requests answered with `failureStatus` (after doing the work). */
  failureRate: number;
  /** The status of those failures: 500 (a bug) by default, 503 for a replica that sheds load. */
  failureStatus: number;
  /** 0..1: share of requests that take an extra slowMs. */
  slowRate: number;
  /** [min, max] extra milliseconds on a slow request. */
  slowMs: [number, number];
  /** [min, max] milliseconds of "work" on every request. */
  workMs: [number, number];
}

export interface InstancePlan {
  name: string;
  service: ServiceKind;
  namespace: string;
  version: string;
  /** host:port the service listens on (port 0 = any free port, reported on stdout). */
  listen: string;
  /** host:port of this instance's proxy outbound listener: every downstream call goes there. */
  outbound: string;
  behaviour: Behaviour;
}

export type OutsideName = OutsideService['name'];

/**
 * host:port of each service outside the mesh the shop calls (through the caller's proxy, as egress). A service
 * without an address here is not called: the pages that would show its answer leave it out.
 */
export type OutsideAddresses = Partial<Record<OutsideName, string>>;

export interface ShopPlan {
  instances: InstancePlan[];
  /** Budget for one downstream call (headers + body). */
  upstreamTimeoutMs: number;
  outside?: OutsideAddresses;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 3000;

const QUIET: Behaviour = {
  failureRate: 0,
  failureStatus: 500,
  slowRate: 0,
  slowMs: [0, 0],
  workMs: [1, 4],
};

/** The flaky replica of ratings (topology.ts): sheds 15% of its requests with 503. */
export const FLAKY_RATINGS_INSTANCE = 'ratings-2';
export const FLAKY_RATINGS: Pick<Behaviour, 'failureRate' | 'failureStatus'> = {
  failureRate: 0.15,
  failureStatus: 503,
};

/**
 * The demo's personality, realistic enough for every example policy to have something to act on
 * (examples/policies/README.md): one of the two ratings replicas answers 503 to 15% of its requests (ratings'
 * success rate ~92%: the breaker ejects that replica, retries hide it from callers); pricing is slow ~10% of
 * the time (200-600 ms); catalog has a long tail, 2% of its requests take 2.2-2.6 s (a product page
 * timeout of 2 s cuts it off).
 */
export function defaultBehaviour(service: ServiceKind, instance?: string): Behaviour {
  switch (service) {
    case 'ratings':
      return { ...QUIET, ...(instance === FLAKY_RATINGS_INSTANCE ? FLAKY_RATINGS : {}), workMs: [1, 3] };
    case 'pricing':
      return { ...QUIET, slowRate: 0.1, slowMs: [200, 600], workMs: [2, 6] };
    case 'catalog':
      return { ...QUIET, slowRate: 0.02, slowMs: [2200, 2600], workMs: [1, 4] };
    case 'frontend':
      return { ...QUIET, workMs: [2, 5] };
    default:
      return { ...QUIET, workMs: [...QUIET.workMs] };
  }
}

export interface DemoPlanAddresses {
  app: string;
  outbound: string;
}

/** The standard demo plan from each workload's app and proxy-outbound address. */
export function buildDemoPlan(
  addressOf: (w: DemoWorkload) => DemoPlanAddresses,
  overrides: Partial<Record<ServiceKind, Partial<Behaviour>>> = {},
  outside: OutsideAddresses = {},
): ShopPlan {
  return {
    upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
    outside: { ...outside },
    instances: DEMO_WORKLOADS.map((w) => {
      const a = addressOf(w);
      return {
        name: w.name,
        service: w.service,
        namespace: w.namespace,
        version: w.version,
        listen: a.app,
        outbound: a.outbound,
        behaviour: { ...defaultBehaviour(w.service, w.name), ...overrides[w.service] },
      };
    }),
  };
}

export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid shop plan:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PlanError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Validates a plan (as parsed from JSON). Missing behaviour fields default per service kind.
 * Throws PlanError listing every problem with its path.
 */
export function parsePlan(input: unknown): ShopPlan {
  const problems: string[] = [];
  if (!isRecord(input)) throw new PlanError(['plan: must be an object']);

  let upstreamTimeoutMs = DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (input.upstreamTimeoutMs !== undefined) {
    const t = input.upstreamTimeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 600_000) {
      problems.push('upstreamTimeoutMs: must be an integer 1..600000');
    } else upstreamTimeoutMs = t;
  }

  const instances: InstancePlan[] = [];
  if (!Array.isArray(input.instances) || input.instances.length === 0) {
    problems.push('instances: must be a non-empty array');
  } else {
    const names = new Set<string>();
    input.instances.forEach((raw: unknown, i) => {
      const at = `instances[${i}]`;
      if (!isRecord(raw)) {
        problems.push(`${at}: must be an object`);
        return;
      }
      const str = (key: string, fallback?: string): string => {
        const v = raw[key] ?? fallback;
        if (typeof v !== 'string' || v.length === 0) {
          problems.push(`${at}.${key}: must be a non-empty string`);
          return '';
        }
        return v;
      };
      const service = str('service') as ServiceKind;
      if (service && !SERVICE_KINDS.includes(service)) {
        problems.push(`${at}.service: "${service}" is not one of ${SERVICE_KINDS.join(', ')}`);
      }
      const name = str('name', service);
      if (name && names.has(name)) problems.push(`${at}.name: "${name}" is used twice`);
      names.add(name);
      const namespace = str('namespace');
      if (namespace && !LABEL.test(namespace))
        problems.push(`${at}.namespace: "${namespace}" is not a DNS label`);
      const version = str('version', 'v1');
      const listen = str('listen');
      const outbound = str('outbound');
      for (const [key, value] of [
        ['listen', listen],
        ['outbound', outbound],
      ] as const) {
        if (!value) continue;
        try {
          parseHostPort(value);
        } catch (e) {
          problems.push(`${at}.${key}: ${(e as Error).message}`);
        }
      }
      const behaviour = parseBehaviour(
        raw.behaviour,
        SERVICE_KINDS.includes(service) ? service : 'catalog',
        name,
        `${at}.behaviour`,
        problems,
      );
      instances.push({ name, service, namespace, version, listen, outbound, behaviour });
    });
  }
  const outside = parseOutside(input.outside, problems);
  if (problems.length > 0) throw new PlanError(problems);
  return { instances, upstreamTimeoutMs, outside };
}

const OUTSIDE_NAMES: readonly string[] = OUTSIDE_SERVICES.map((s) => s.name);

function parseOutside(raw: unknown, problems: string[]): OutsideAddresses {
  const out: OutsideAddresses = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    problems.push('outside: must be an object of {name: "host:port"}');
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!OUTSIDE_NAMES.includes(name)) {
      problems.push(`outside.${name}: unknown service (known: ${OUTSIDE_NAMES.join(', ')})`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`outside.${name}: must be "host:port"`);
      continue;
    }
    try {
      parseHostPort(value);
      out[name as OutsideName] = value;
    } catch (e) {
      problems.push(`outside.${name}: ${(e as Error).message}`);
    }
  }
  return out;
}

function parseBehaviour(
  raw: unknown,
  service: ServiceKind,
  instance: string,
  at: string,
  problems: string[],
): Behaviour {
  const b = defaultBehaviour(service, instance);
  if (raw === undefined) return b;
  if (!isRecord(raw)) {
    problems.push(`${at}: must be an object`);
    return b;
  }
  for (const key of ['failureRate', 'slowRate'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push(`${at}.${key}: must be a number 0..1`);
    else b[key] = v;
  }
  for (const key of ['slowMs', 'workMs'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((x) => typeof x === 'number' && x >= 0 && x <= 60_000) ||
      (v[0] as number) > (v[1] as number)
    ) {
      problems.push(`${at}.${key}: must be [min, max] milliseconds with 0 <= min <= max <= 60000`);
    } else b[key] = [v[0] as number, v[1] as number];
  }
  if (raw.failureStatus !== undefined) {
    const v = raw.failureStatus;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 500 || v > 599)
      problems.push(`${at}.failureStatus: must be an HTTP status 500..599`);
    else b.failureStatus = v;
  }
  for (const key of Object.keys(raw)) {
    if (!['failureRate', 'failureStatus', 'slowRate', 'slowMs', 'workMs'].includes(key))
      problems.push(`${at}.${key}: unknown field`);
  }
  return b;
}

/** `--plan` accepts inline JSON (starts with "{") or a path to a JSON file. */
export function loadPlanArgument(arg: string): ShopPlan {
  let text: string;
  if (arg.trimStart().startsWith('{')) text = arg;
  else {
    try {
      text = readFileSync(arg, 'utf8');
    } catch (e) {
      throw new PlanError([`cannot read plan file "${arg}": ${(e as Error).message}`]);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PlanError([`plan is not valid JSON: ${(e as Error).message}`]);
  }
  return parsePlan(parsed);
}

/** Uniform integer-ish duration in [min, max]. */
export function pick(range: readonly [number, number], random: () => number = Math.random): number {
  return range[0] + (range[1] - range[0]) * random();
}

export interface Decision {
  delayMs: number;
  fail: boolean;
  slow: boolean;
}

/** What one request does under a behaviour: how long it works, whether it is slow, whether it fails. */
export function decide(b: Behaviour, random: () => number = Math.random): Decision {
  const slow = b.slowRate > 0 && random() < b.slowRate;
  const fail = b.failureRate > 0 && random() < b.failureRate;
  const delayMs = pick(b.workMs, random) + (slow ? pick(b.slowMs, random) : 0);
  return { delayMs, fail, slow };
}
