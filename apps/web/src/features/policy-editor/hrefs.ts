/** Where the editors live: one URL per policy to edit, one to start a new policy of a kind on a service. */
import type { PolicyKind } from '@weft/schema';

const enc = encodeURIComponent;

export function editPolicyHref(kind: PolicyKind, namespace: string, name: string): string {
  return `/policies/edit/${enc(kind)}/${enc(namespace)}/${enc(name)}`;
}

export function newPolicyHref(kind: PolicyKind, namespace: string, service?: string): string {
  const params = new URLSearchParams({ kind, namespace });
  if (service) params.set('service', service);
  return `/policies/new?${params.toString()}`;
}

export function serviceHref(namespace: string, service: string): string {
  return `/services/${enc(namespace)}/${enc(service)}`;
}
