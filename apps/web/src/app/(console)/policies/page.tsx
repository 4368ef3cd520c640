import type { Metadata } from 'next';
import { ConfigView } from '@/features/policies/ConfigView.tsx';

export const metadata: Metadata = { title: 'Config' };

export default function ConfigPage() {
  return <ConfigView />;
}
