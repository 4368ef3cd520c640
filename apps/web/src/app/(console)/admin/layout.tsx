import type { ReactNode } from 'react';
import { AdminGate } from '@/features/admin/AdminGate.tsx';

export default function AdminLayout({ children }: { children: ReactNode }) {
  return <AdminGate>{children}</AdminGate>;
}
