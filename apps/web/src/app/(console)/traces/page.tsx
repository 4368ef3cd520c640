import type { Metadata } from 'next';
import { TracesView } from '@/features/traces/TracesView.tsx';

export const metadata: Metadata = { title: 'Traces' };

export default function TracesPage() {
  return <TracesView />;
}
