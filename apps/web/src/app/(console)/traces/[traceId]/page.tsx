import type { Metadata } from 'next';
import { TraceView } from '@/features/traces/TraceView.tsx';

interface Props {
  params: Promise<{ traceId: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { traceId } = await params;
  return { title: `Trace ${traceId.slice(0, 8)}` };
}

export default async function TracePage({ params }: Props) {
  const { traceId } = await params;
  return <TraceView key={traceId} traceId={traceId.toLowerCase()} />;
}
