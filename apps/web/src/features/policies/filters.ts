/**
 * The Config page's filters (namespace, kind, only policies with findings, free text), kept in the URL so a
 * filtered list can be shared and survives a reload: `?namespace=shop&kind=TrafficSplit&findings=1&q=reviews`.
 */
import { POLICY_KIND_NAMES, type PolicyKind } from '@weft/schema';

export interface ConfigFilter {
  namespace: string | null;
  kind: PolicyKind | null;
  onlyWithFindings: boolean;
  text: string;
}

export const NO_FILTER: ConfigFilter = { namespace: null, kind: null, onlyWithFindings: false, text: '' };

const PARAMS = { namespace: 'namespace', kind: 'kind', findings: 'findings', text: 'q' } as const;

function isKind(value: string | null): value is PolicyKind {
  return value !== null && (POLICY_KIND_NAMES as readonly string[]).includes(value);
}

export function parseConfigFilter(params: Pick<URLSearchParams, 'get'>): ConfigFilter {
  const kind = params.get(PARAMS.kind);
  return {
    namespace: params.get(PARAMS.namespace) || null,
    kind: isKind(kind) ? kind : null,
    onlyWithFindings: params.get(PARAMS.findings) === '1',
    text: params.get(PARAMS.text) ?? '',
  };
}

/** The filter as query parameters, on top of `base` (other parameters are kept). */
export function withConfigFilter(base: URLSearchParams, filter: ConfigFilter): URLSearchParams {
  const next = new URLSearchParams(base);
  const set = (key: string, value: string | null) => (value ? next.set(key, value) : next.delete(key));
  set(PARAMS.namespace, filter.namespace);
  set(PARAMS.kind, filter.kind);
  set(PARAMS.findings, filter.onlyWithFindings ? '1' : null);
  set(PARAMS.text, filter.text || null);
  return next;
}

export interface FilterablePolicy {
  resource: {
    kind: string;
    metadata: { namespace: string; name: string };
    spec: { targetRef: { kind?: string; name: string; sectionName?: string } };
  };
  findings: readonly unknown[];
}

export function matchesConfigFilter(p: FilterablePolicy, filter: ConfigFilter): boolean {
  const { kind, metadata, spec } = p.resource;
  if (filter.namespace && metadata.namespace !== filter.namespace) return false;
  if (filter.kind && kind !== filter.kind) return false;
  if (filter.onlyWithFindings && p.findings.length === 0) return false;
  const needle = filter.text.trim().toLowerCase();
  if (!needle) return true;
  const target = spec.targetRef;
  const haystack = `${kind} ${metadata.namespace}/${metadata.name} ${target.name} ${target.sectionName ?? ''}`;
  return haystack.toLowerCase().includes(needle);
}
