import type { Metadata } from 'next';
import { TokensView } from '@/features/admin/TokensView.tsx';

export const metadata: Metadata = { title: 'Tokens' };

export default function TokensPage() {
  return <TokensView />;
}
