import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { isPolicyKind, KIND_LABELS } from '@/features/policy-editor/kinds.ts';
import { EditPolicyView } from '@/features/policy-editor/PolicyEditorView.tsx';

interface Props {
  params: Promise<{ kind: string; namespace: string; name: string }>;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { kind, name } = await params;
  const k = decode(kind);
  return { title: `${isPolicyKind(k) ? KIND_LABELS[k].title : k}: ${decode(name)}` };
}

export default async function EditPolicyPage({ params }: Props) {
  const { kind, namespace, name } = await params;
  const k = decode(kind);
  if (!isPolicyKind(k)) notFound();
  const ns = decode(namespace);
  const n = decode(name);
  return <EditPolicyView key={`${k}/${ns}/${n}`} kind={k} namespace={ns} name={n} />;
}
