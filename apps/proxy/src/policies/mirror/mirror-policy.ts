/**
 * A MirrorPolicy compiled for the data path (Envoy's request mirror policy, Gateway API's RequestMirror
 * filter): which requests it applies to, which share of them is copied, and where copies go. The backend
 * arrives resolved by the control plane to a service and namespace (and a version, for a copy to one
 * version of a service); its endpoints are looked up in the routing table in force when the copy is made.
 */
import type { ServicePolicy } from '@weft/schema';
import type { EndpointSubset, RoutingTable } from '../../routing/routing-table.ts';
import type { RandomSource } from '../../routing/split.ts';
import { RequestMatches } from '../fault/compiled-matches.ts';

export type MirrorSpec = NonNullable<ServicePolicy['mirror']>;

export class CompiledMirror {
  readonly source: string;
  readonly matches: RequestMatches;
  /** Share of matching requests copied, 0..1. */
  readonly share: number;
  readonly maxBodyBytes: number;
  readonly service: string;
  readonly namespace: string;
  readonly version: string | undefined;

  constructor(spec: MirrorSpec) {
    this.source = spec.source;
    this.matches = new RequestMatches(spec.matches);
    this.share = spec.percentage / 100;
    this.maxBodyBytes = spec.maxBodyBytes;
    this.service = spec.backend.service;
    this.namespace = spec.backend.namespace;
    this.version = spec.backend.version;
  }

  /** Whether this request is copied: no draw at all for 0% and 100%. */
  draw(random: RandomSource): boolean {
    if (this.share <= 0) return false;
    return this.share >= 1 || random() < this.share;
  }

  /** The endpoints copies go to now: the backend's, or one version's; undefined when there are none. */
  subset(routes: RoutingTable | undefined): EndpointSubset | undefined {
    const route = routes?.lookup({ service: this.service, namespace: this.namespace });
    if (route === undefined) return undefined;
    const subset = this.version === undefined ? route.all : route.versions.get(this.version);
    return subset === undefined || subset.endpoints.length === 0 ? undefined : subset;
  }

  /** "reviews.shop" or "reviews.shop version v2", for logs. */
  get target(): string {
    const name = `${this.service}.${this.namespace}`;
    return this.version === undefined ? name : `${name} version ${this.version}`;
  }
}

const compiled = new WeakMap<MirrorSpec, CompiledMirror>();

/** Compiled once per policy object of the config in force. */
export function compiledMirror(spec: MirrorSpec): CompiledMirror {
  let c = compiled.get(spec);
  if (c === undefined) {
    c = new CompiledMirror(spec);
    compiled.set(spec, c);
  }
  return c;
}
