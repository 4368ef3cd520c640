import type { Metadata } from 'next';
import { PoliciesView } from '@/features/policies/PoliciesView.tsx';

export const metadata: Metadata = { title: 'Policies' };

export default function PoliciesPage() {
  return <PoliciesView />;
}
