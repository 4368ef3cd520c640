import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { isPolicyKind, KIND_LABELS } from '@/features/policy-editor/kinds.ts';
import { NewPolicyView } from '@/features/policy-editor/PolicyEditorView.tsx';

interface Props {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const kind = one((await searchParams).kind) ?? '';
  return { title: `New ${isPolicyKind(kind) ? KIND_LABELS[kind].title.toLowerCase() : 'policy'}` };
}

/** /policies/new?kind=TrafficSplit&namespace=shop&service=reviews */
export default async function NewPolicyPage({ searchParams }: Props) {
  const params = await searchParams;
  const kind = one(params.kind) ?? '';
  const namespace = one(params.namespace) ?? 'default';
  const service = one(params.service) || undefined;
  if (!isPolicyKind(kind)) notFound();
  return (
    <NewPolicyView
      key={`${kind}/${namespace}/${service ?? ''}`}
      kind={kind}
      namespace={namespace}
      service={service}
    />
  );
}
