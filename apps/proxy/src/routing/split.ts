/**
 * A canary split compiled against the endpoints one route has now, as Envoy's weighted clusters over
 * subsets with header matches in front: a request that matches a pin goes to the pin's version, any other
 * to a version chosen at random in proportion to the weights.
 *
 * Only versions with endpoints take part: the weight of a version with none is shared among the others, and
 * a split none of whose weighted versions has endpoints (or whose weights are all 0) is not enforced at all,
 * so the route's subset of every endpoint serves — a split never makes a destination unreachable. Both are
 * reported (`problems`). A pin to a version without endpoints is skipped likewise (matching requests follow
 * the weights). The table compiles a new RouteSplit whenever a config changes the split or the route's
 * endpoints; the subsets (and their balancers) it points to are the route's, kept across configs.
 */
import type { ServicePolicy } from '@weft/schema';
import { cookieValue } from './cookie.ts';
import type { EndpointSubset } from './routing-table.ts';

export type SplitSpec = NonNullable<ServicePolicy['split']>;

/** Request header fields as node:http hands them over: names in lower case. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A number in [0, 1), like Math.random (injected so tests can fix the sequence). */
export type RandomSource = () => number;

/** How one split is enforced with the endpoints the config lists now (/config, /metrics, logs). */
export interface SplitReport {
  service: string;
  namespace: string;
  /** The policy it was compiled from ("TrafficSplit shop/reviews-canary"). */
  source: string;
  /**
   * For the split of one HTTPRoute rule (a TrafficSplit targeting the route): the rule, whose requests to
   * `service` it splits. Absent for the split of a service.
   */
  rule?: string;
  /**
   * `weights`: requests without a pin go to the versions below by share; `all-endpoints`: the split is not
   * enforced and every endpoint of the service serves them.
   */
  enforced: 'weights' | 'all-endpoints';
  /** `share`: the fraction of unpinned requests the version gets now (0 when it has no endpoints). */
  backends: { version: string; weight: number; endpoints: number; share: number }[];
  pins: {
    version: string;
    header?: { name: string; value: string };
    cookie?: { name: string; value: string };
    endpoints: number;
  }[];
  /** What keeps the split from being enforced as written, each saying what happens instead. */
  problems: string[];
}

interface Weighted {
  readonly subset: EndpointSubset;
  /** Upper bound of this version's interval in [0, total). */
  readonly until: number;
}

interface Pin {
  readonly subset: EndpointSubset;
  /** Name in lower case (header names are case-insensitive). */
  readonly header: { readonly name: string; readonly value: string } | undefined;
  readonly cookie: { readonly name: string; readonly value: string } | undefined;
}

export class RouteSplit {
  readonly spec: SplitSpec;
  readonly #weighted: Weighted[] = [];
  readonly #total: number;
  readonly #pins: Pin[] = [];
  readonly #report: Omit<SplitReport, 'service' | 'namespace'>;

  constructor(spec: SplitSpec, versions: ReadonlyMap<string, EndpointSubset>) {
    this.spec = spec;
    const problems: string[] = [];
    const endpointsOf = (version: string): number => versions.get(version)?.endpoints.length ?? 0;

    // A version listed twice (the API refuses it, WEFT2004) gets the sum, as Gateway API backendRefs do.
    const weights = new Map<string, number>();
    for (const b of spec.backends) weights.set(b.version, (weights.get(b.version) ?? 0) + b.weight);
    let total = 0;
    const unserved: string[] = [];
    for (const [version, weight] of weights) {
      if (weight === 0) continue;
      const subset = versions.get(version);
      if (subset === undefined || subset.endpoints.length === 0) {
        unserved.push(`${version} (weight ${weight})`);
        continue;
      }
      total += weight;
      this.#weighted.push({ subset, until: total });
    }
    this.#total = total;

    const served = this.#weighted.map((w) => w.subset.version ?? '');
    if (versions.size === 0) {
      problems.push('the service has no endpoints at all');
    } else if (unserved.length === 0 && served.length === 0) {
      problems.push(
        'every version has weight 0: requests go to every endpoint of the service; give one version a weight above 0',
      );
    } else if (served.length === 0) {
      problems.push(
        `no endpoints of ${unserved.join(', ')}: requests go to every endpoint of the service until one of them has some`,
      );
    } else if (unserved.length > 0) {
      problems.push(
        `no endpoints of ${unserved.join(', ')}: ${unserved.length === 1 ? 'its share goes' : 'their shares go'} to ${served.join(', ')}`,
      );
    }

    const pins: SplitReport['pins'] = [];
    for (const pin of spec.pins ?? []) {
      const endpoints = endpointsOf(pin.version);
      pins.push({
        version: pin.version,
        ...(pin.header ? { header: pin.header } : {}),
        ...(pin.cookie ? { cookie: pin.cookie } : {}),
        endpoints,
      });
      const subset = versions.get(pin.version);
      if (pin.header === undefined && pin.cookie === undefined) {
        problems.push(`the pin to ${pin.version} names neither a header nor a cookie and never matches`);
      } else if (subset === undefined || endpoints === 0) {
        problems.push(
          `the pin to ${pin.version} (${describePin(pin)}) has no endpoints: matching requests follow the weights`,
        );
      } else {
        this.#pins.push({
          subset,
          header: pin.header && { name: pin.header.name.toLowerCase(), value: pin.header.value },
          cookie: pin.cookie,
        });
      }
    }

    this.#report = {
      source: spec.source,
      enforced: this.#weighted.length > 0 ? 'weights' : 'all-endpoints',
      backends: [...weights].map(([version, weight]) => {
        const subset = this.#weighted.find((w) => w.subset.version === version);
        const share = subset === undefined ? 0 : weight / total;
        return { version, weight, endpoints: endpointsOf(version), share: Math.round(share * 1e4) / 1e4 };
      }),
      pins,
      problems,
    };
  }

  /**
   * The subset for one request: the first matching pin's, else one chosen by weight; undefined when the
   * split is not enforced (the caller then uses every endpoint).
   */
  choose(headers: RequestHeaders, random: RandomSource): EndpointSubset | undefined {
    for (const pin of this.#pins) if (pinMatches(pin, headers)) return pin.subset;
    const weighted = this.#weighted;
    if (weighted.length <= 1) return weighted[0]?.subset;
    const at = random() * this.#total;
    for (const w of weighted) if (at < w.until) return w.subset;
    return weighted[weighted.length - 1]?.subset; // random() returned 1 or more: a broken source
  }

  report(service: string, namespace: string): SplitReport {
    return { service, namespace, ...this.#report };
  }
}

/** A pin with both a header and a cookie (the API refuses it, WEFT2006) needs both to match. */
function pinMatches(pin: Pin, headers: RequestHeaders): boolean {
  if (pin.header !== undefined) {
    const value = headers[pin.header.name];
    const hit = typeof value === 'string' ? value === pin.header.value : value?.includes(pin.header.value);
    if (hit !== true) return false;
  }
  if (pin.cookie !== undefined && cookieValue(headers.cookie, pin.cookie.name) !== pin.cookie.value)
    return false;
  return true;
}

function describePin(pin: NonNullable<SplitSpec['pins']>[number]): string {
  const parts: string[] = [];
  if (pin.header) parts.push(`header ${pin.header.name}: ${pin.header.value}`);
  if (pin.cookie) parts.push(`cookie ${pin.cookie.name}=${pin.cookie.value}`);
  return parts.join(', ');
}
