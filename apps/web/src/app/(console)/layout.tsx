import Link from 'next/link';
import { Suspense, type ReactNode } from 'react';
import { SessionGuard } from '@/components/Session.tsx';
import { PlatformBadge, SidebarNav, TopbarControls, TopbarTitle } from '@/components/Shell.tsx';

/** Every page behind sign-in: sidebar, top bar (time window, who is signed in), content. */
export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return (
    <div className="shell">
      <SessionGuard />
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
        <div className="sidebar-footer">
          <PlatformBadge />
          <span>service mesh console</span>
        </div>
      </aside>
      <div className="main">
        <header className="topbar">
          <TopbarTitle />
          <Suspense fallback={null}>
            <TopbarControls />
          </Suspense>
        </header>
        <main className="content">
          <Suspense fallback={<div className="loading">Loading…</div>}>{children}</Suspense>
        </main>
      </div>
    </div>
  );
}
