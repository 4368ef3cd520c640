import type { RouterOutputs } from '@/lib/trpc.ts';

export type StoredPolicy = RouterOutputs['policies']['list'][number];
export type PolicyFinding = StoredPolicy['findings'][number];
export type PolicyRevision = RouterOutputs['policies']['history'][number];

export function refOfPolicy(p: StoredPolicy): {
  kind: StoredPolicy['resource']['kind'];
  namespace: string;
  name: string;
} {
  return { kind: p.resource.kind, namespace: p.resource.metadata.namespace, name: p.resource.metadata.name };
}
