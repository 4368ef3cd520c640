'use client';
/**
 * The editor pages' client side: loads the policy to edit (or, for a new one, the service's versions its
 * starting spec needs) and hands the shell a draft to start from.
 */
import { useQuery } from '@tanstack/react-query';
import type { PolicyKind } from '@weft/schema';
import Link from 'next/link';
import { useState } from 'react';
import { ErrorState, Loading, PageHeader } from '@/components/ui.tsx';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';
import { useWindowHref } from '@/lib/window.ts';
import { draftOf, EditorShell, kindEditor, type Draft } from './EditorShell.tsx';
import { editPolicyHref } from './hrefs.ts';
import { KIND_LABELS, newPolicyName } from './kinds.ts';
import { useEditorContext } from './useEditorContext.ts';

type StoredPolicies = RouterOutputs['policies']['list'];

export function EditPolicyView({
  kind,
  namespace,
  name,
}: {
  kind: PolicyKind;
  namespace: string;
  name: string;
}) {
  const trpc = useTRPC();
  // Read once: the shell watches for later changes itself and keeps the version it started from.
  const query = useQuery(
    trpc.policies.get.queryOptions({ kind, namespace, name }, { retry: false, refetchOnWindowFocus: false }),
  );
  if (query.isPending) return <Loading what={`${kind} ${namespace}/${name}`} />;
  if (!query.data) {
    return (
      <div className="page" data-test="policy-editor-missing">
        <PageHeader title={`${KIND_LABELS[kind].title}: ${name}`} />
        <ErrorState error={query.error} what={`${kind} ${namespace}/${name}`} />
      </div>
    );
  }
  return (
    <EditorShell
      key={`${kind}/${namespace}/${name}`}
      kind={kind}
      stored={query.data}
      initial={draftOf(query.data)}
      takenNames={new Set()}
    />
  );
}

export function NewPolicyView({
  kind,
  namespace,
  service,
}: {
  kind: PolicyKind;
  namespace: string;
  service: string | undefined;
}) {
  const trpc = useTRPC();
  const href = useWindowHref();
  const policies = useQuery(trpc.policies.list.queryOptions({ namespace, kind }, { retry: false }));
  const { context, settled } = useEditorContext(namespace, service);
  // Both are taken from the first answers, once: later refreshes must neither reset what the user typed nor
  // count the policy this editor itself creates as one that "already targets" the service.
  const [start, setStart] = useState<{
    initial: Draft;
    taken: ReadonlySet<string>;
    existing: StoredPolicies;
  } | null>(null);
  if (start === null && settled && !policies.isPending) {
    const list = policies.data ?? [];
    const editor = kindEditor(kind);
    const spec = editor
      ? editor.initialSpec(context)
      : { targetRef: { group: '', kind: 'Service', name: service ?? '' } };
    const taken = new Set(list.map((p) => p.resource.metadata.name));
    const existing = list.filter(
      (p) => p.resource.spec.targetRef.kind === 'Service' && p.resource.spec.targetRef.name === service,
    );
    const initial: Draft = { name: newPolicyName(kind, service ?? 'policy', taken), namespace, spec };
    setStart({ initial, taken, existing });
  }

  if (!start) return <Loading what="the editor" />;
  const { initial, taken, existing } = start;
  return (
    <>
      {existing.length > 0 ? (
        <div className="notice pe-existing" data-test="editor-existing">
          {existing.length === 1 ? 'A' : existing.length} {kind}
          {existing.length === 1 ? ' already targets' : 's already target'} {service}:{' '}
          {existing.map((p, i) => (
            <span key={p.resource.metadata.name}>
              {i ? ', ' : ''}
              <Link href={href(editPolicyHref(kind, namespace, p.resource.metadata.name))}>
                {p.resource.metadata.name}
              </Link>
            </span>
          ))}
          . Edit {existing.length === 1 ? 'it' : 'one of them'} rather than adding another.
        </div>
      ) : null}
      <EditorShell kind={kind} stored={null} initial={initial} takenNames={taken} />
    </>
  );
}
