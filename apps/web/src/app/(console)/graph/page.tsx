import type { Metadata } from 'next';
import { GraphView } from '@/features/graph/GraphView.tsx';

export const metadata: Metadata = { title: 'Graph' };

export default function GraphPage() {
  return <GraphView />;
}
