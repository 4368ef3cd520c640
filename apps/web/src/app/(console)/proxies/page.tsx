import type { Metadata } from 'next';
import { ProxiesView } from '@/features/proxies/ProxiesView.tsx';

export const metadata: Metadata = { title: 'Proxies' };

export default function ProxiesPage() {
  return <ProxiesView />;
}
