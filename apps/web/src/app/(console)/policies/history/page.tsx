import type { Metadata } from 'next';
import { HistoryView } from '@/features/policies/HistoryView.tsx';

export const metadata: Metadata = { title: 'History' };

export default function HistoryPage() {
  return <HistoryView />;
}
