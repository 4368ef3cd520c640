'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { TIME_WINDOWS, useSetTimeWindow, useTimeWindow, useWindowHref } from '@/lib/window.ts';

const NAV = [
  {
    href: '/',
    label: 'Overview',
    test: 'nav-overview',
    match: (p: string) => p === '/' || p.startsWith('/services'),
  },
  { href: '/graph', label: 'Graph', test: 'nav-graph', match: (p: string) => p.startsWith('/graph') },
  { href: '/traces', label: 'Traces', test: 'nav-traces', match: (p: string) => p.startsWith('/traces') },
] as const;

export function SidebarNav() {
  const pathname = usePathname();
  const href = useWindowHref();
  return (
    <nav className="nav" aria-label="Main">
      {NAV.map((item) => {
        const active = item.match(pathname);
        return (
          <Link
            key={item.href}
            href={href(item.href)}
            className={active ? 'nav-link active' : 'nav-link'}
            aria-current={active ? 'page' : undefined}
            data-test={item.test}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}

export function WindowPicker() {
  const current = useTimeWindow();
  const setWindow = useSetTimeWindow();
  return (
    <div className="window-picker" role="group" aria-label="Time window" data-test="window-picker">
      {TIME_WINDOWS.map((w) => (
        <button
          key={w.key}
          type="button"
          className={w.key === current.key ? 'active' : undefined}
          aria-pressed={w.key === current.key}
          title={w.label}
          data-test={`window-option-${w.key}`}
          onClick={() => setWindow(w.key)}
        >
          {w.key}
        </button>
      ))}
    </div>
  );
}
