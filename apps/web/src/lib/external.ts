/**
 * Destinations outside the mesh (egress through an outbound proxy): the API names them by host in the namespace
 * EXTERNAL_NAMESPACE, and the graph gives them `kind: 'external'`. They have no proxy, no service page, no
 * policies and no traces of their own, so every list of services leaves them out.
 */
import { EXTERNAL_NAMESPACE } from '@weft/schema';

export function isExternal(item: { namespace: string; kind?: string }): boolean {
  return item.kind === 'external' || item.namespace === EXTERNAL_NAMESPACE;
}

/** The services of a list, without external destinations. */
export function meshServices<T extends { namespace: string }>(list: readonly T[]): T[] {
  return list.filter((s) => !isExternal(s));
}
