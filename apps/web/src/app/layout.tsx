import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense, type ReactNode } from 'react';
import { Providers } from '@/components/Providers.tsx';
import { SidebarNav, WindowPicker } from '@/components/Shell.tsx';
import '@xyflow/react/dist/style.css';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Weft console', template: '%s · Weft' },
  description: 'Live service graph, golden signals and traces of a Weft mesh',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <div className="shell">
            <aside className="sidebar">
              <Link href="/" className="brand" data-test="brand">
                <span className="brand-mark" aria-hidden>
                  ⋈
                </span>
                Weft
              </Link>
              <Suspense fallback={null}>
                <SidebarNav />
              </Suspense>
              <div className="sidebar-footer">service mesh console</div>
            </aside>
            <div className="main">
              <header className="topbar">
                <div className="topbar-title">Mesh observability</div>
                <Suspense fallback={null}>
                  <WindowPicker />
                </Suspense>
              </header>
              <main className="content">
                <Suspense fallback={<div className="loading">Loading…</div>}>{children}</Suspense>
              </main>
            </div>
          </div>
        </Providers>
      </body>
    </html>
  );
}
