/**
 * Where a policy lives in the console: its row on the Config page, its editor and its history. One place, so
 * the Config page, the history and the service page link the same way.
 */
import { policyKey, type PolicyKind } from '@weft/schema';
import { editPolicyHref } from '../policy-editor/hrefs.ts';

export interface PolicyRefLike {
  kind: string;
  namespace: string;
  name: string;
}

function segments(ref: PolicyRefLike): string {
  return [ref.kind, ref.namespace, ref.name].map(encodeURIComponent).join('/');
}

/** The editor (another page's route): /policies/edit/<kind>/<namespace>/<name>. */
export function editHref(ref: PolicyRefLike): string {
  return editPolicyHref(ref.kind as PolicyKind, ref.namespace, ref.name);
}

/** The mesh-wide history, or one policy's: /policies/history[/<kind>/<namespace>/<name>]. */
export function historyHref(ref?: PolicyRefLike): string {
  return ref ? `/policies/history/${segments(ref)}` : '/policies/history';
}

/** "TrafficSplit shop/reviews-canary": how the API, the proxies and their NACKs name a policy. */
export function refName(ref: PolicyRefLike): string {
  return policyKey({ kind: ref.kind, metadata: ref });
}

/** The row's data-test on the Config page (and its anchor id). */
export function configRowTestId(ref: PolicyRefLike): string {
  return `config-row-${ref.kind}-${ref.namespace}-${ref.name}`;
}
