import type { Metadata } from 'next';
import { OverviewView } from '@/features/overview/OverviewView.tsx';

export const metadata: Metadata = { title: 'Overview' };

export default function OverviewPage() {
  return <OverviewView />;
}
