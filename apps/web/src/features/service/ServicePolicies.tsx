'use client';
/**
 * The policies that target this Service (directly or through a rule of it), with whether the control plane
 * accepted them and the proxies programmed them: what shapes the traffic shown above. Policies on an
 * HTTPRoute are on the Policies page, which resolves nothing the cluster would have to tell it.
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Empty, ErrorState, Loading } from '@/components/ui.tsx';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';
import { ConditionView } from '../policies/PoliciesView.tsx';
import { editPolicyHref } from '../policy-editor/hrefs.ts';

type StoredPolicy = RouterOutputs['policies']['list'][number];

/** Whether `p` applies to the Service `service` of its own namespace. */
export function targetsService(p: StoredPolicy, service: string): boolean {
  const ref = p.resource.spec.targetRef;
  return ref.kind === 'Service' && ref.name === service;
}

export function ServicePolicies({ namespace, service }: { namespace: string; service: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.policies.list.queryOptions({ namespace }, { refetchInterval: REFRESH_MS }));
  if (query.isPending) return <Loading what="policies" />;
  if (!query.data) return <ErrorState error={query.error} what="policies" />;
  const rows = query.data
    .filter((p) => targetsService(p, service))
    .sort((a, b) => a.resource.kind.localeCompare(b.resource.kind));
  if (rows.length === 0)
    return (
      <Empty testId="service-policies-empty">
        No policy targets this service. <Link href="/policies">All policies →</Link>
      </Empty>
    );
  return (
    <table className="table" data-test="service-policies">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Name</th>
          <th>Rule</th>
          <th>Accepted</th>
          <th>Programmed</th>
          <th className="actions-col">
            <span className="sr-only">Edit</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => {
          const { kind, metadata, spec } = p.resource;
          return (
            <tr key={`${kind}/${metadata.name}`} data-test="service-policy-row" data-kind={kind}>
              <td>
                <span className="tag">{kind}</span>
              </td>
              <td className="strong">{metadata.name}</td>
              <td>{spec.targetRef.sectionName ?? <span className="muted">all</span>}</td>
              <td className="condition-cell">
                <ConditionView condition={p.conditions.find((c) => c.type === 'Accepted')} type="Accepted" />
              </td>
              <td className="condition-cell">
                <ConditionView
                  condition={p.conditions.find((c) => c.type === 'Programmed')}
                  type="Programmed"
                />
              </td>
              <td className="actions-col">
                <Link
                  className="button pe-edit-link"
                  href={editPolicyHref(kind, metadata.namespace, metadata.name)}
                  data-test="service-policy-edit"
                >
                  Edit
                </Link>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
