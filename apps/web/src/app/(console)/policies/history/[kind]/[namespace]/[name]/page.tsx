import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { POLICY_KIND_NAMES } from '@weft/schema';
import { HistoryView } from '@/features/policies/HistoryView.tsx';

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

async function refOf(params: Props['params']) {
  const { kind, namespace, name } = await params;
  return { kind: decode(kind), namespace: decode(namespace), name: decode(name) };
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const ref = await refOf(params);
  return { title: `History of ${ref.namespace}/${ref.name}` };
}

export default async function PolicyHistoryPage({ params }: Props) {
  const ref = await refOf(params);
  if (!(POLICY_KIND_NAMES as readonly string[]).includes(ref.kind)) notFound();
  // Keyed so that moving to another policy starts from a closed, empty view.
  return <HistoryView key={`${ref.kind}/${ref.namespace}/${ref.name}`} policy={ref} />;
}
