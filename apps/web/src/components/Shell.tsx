'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { TIME_WINDOWS, useSetTimeWindow, useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { signOut } from '@/lib/session.ts';
import { useHasRole, useSession } from './Session.tsx';
import { RoleBadge } from './ui.tsx';

interface NavItem {
  href: string;
  label: string;
  test: string;
  match: (pathname: string) => boolean;
}

const NAV: readonly NavItem[] = [
  {
    href: '/',
    label: 'Overview',
    test: 'nav-overview',
    match: (p) => p === '/' || p.startsWith('/services'),
  },
  { href: '/graph', label: 'Graph', test: 'nav-graph', match: (p) => p.startsWith('/graph') },
  { href: '/traces', label: 'Traces', test: 'nav-traces', match: (p) => p.startsWith('/traces') },
  { href: '/proxies', label: 'Proxies', test: 'nav-proxies', match: (p) => p.startsWith('/proxies') },
  // The Config page (Kiali's name for it); its route and test id stay "policies".
  { href: '/policies', label: 'Config', test: 'nav-policies', match: (p) => p.startsWith('/policies') },
];

/** Pages about the mesh's configuration rather than its traffic: no time window applies to them. */
function isConfigPage(pathname: string): boolean {
  return pathname.startsWith('/admin') || pathname.startsWith('/proxies') || pathname.startsWith('/policies');
}

/** Shown to admins only; the API refuses everything behind them to anyone else anyway. */
const ADMIN_NAV: readonly NavItem[] = [
  {
    href: '/admin/tokens',
    label: 'Tokens',
    test: 'nav-admin-tokens',
    match: (p) => p.startsWith('/admin/tokens'),
  },
  {
    href: '/admin/users',
    label: 'Users',
    test: 'nav-admin-users',
    match: (p) => p.startsWith('/admin/users'),
  },
];

function NavLinks({ items }: { items: readonly NavItem[] }) {
  const pathname = usePathname();
  const href = useWindowHref();
  return items.map((item) => {
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
  });
}

export function SidebarNav() {
  const isAdmin = useHasRole('admin');
  return (
    <nav className="nav" aria-label="Main">
      <NavLinks items={NAV} />
      {isAdmin ? (
        <div className="nav-section" data-test="nav-admin">
          <div className="nav-section-title">Administration</div>
          <NavLinks items={ADMIN_NAV} />
        </div>
      ) : null}
    </nav>
  );
}

export function TopbarTitle() {
  const pathname = usePathname();
  return (
    <div className="topbar-title">
      {pathname.startsWith('/admin')
        ? 'Administration'
        : isConfigPage(pathname)
          ? 'Mesh configuration'
          : 'Mesh observability'}
    </div>
  );
}

/** The time window matters to the observability pages only. */
export function TopbarControls() {
  const pathname = usePathname();
  return (
    <div className="topbar-controls">
      {isConfigPage(pathname) ? null : <WindowPicker />}
      <UserMenu />
    </div>
  );
}

/**
 * Where the control plane keeps its state: "universal" (its own database) or Kubernetes (custom resources;
 * the API server in the tooltip). Rarely changes, so it is asked for once a minute.
 */
export function PlatformBadge() {
  const trpc = useTRPC();
  const info = useQuery(trpc.platform.info.queryOptions(undefined, { refetchInterval: 60_000 }));
  if (!info.data) return null;
  const { platform, server } = info.data;
  const kubernetes = platform === 'kubernetes';
  return (
    <span
      className={`platform-badge platform-${platform}`}
      data-test="platform"
      data-platform={platform}
      title={
        kubernetes
          ? `Kubernetes mode: policies are custom resources${server ? ` on ${server}` : ''}`
          : "Universal mode: policies and the registry live in the control plane's database"
      }
    >
      <span className="platform-dot" aria-hidden />
      {kubernetes ? 'Kubernetes' : 'universal'}
    </span>
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

function initials(name: string): string {
  const parts = name
    .trim()
    .split(/[\s._@-]+/)
    .filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]![0]}${parts[1]![0]}` : (parts[0] ?? '?').slice(0, 1);
  return letters.toUpperCase();
}

/** Who is signed in, and the way out. */
export function UserMenu() {
  const state = useSession();
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (state.status === 'loading') return <div className="user-menu-placeholder" aria-hidden />;
  if (state.status !== 'signed-in') {
    return (
      <span className="user-menu-status muted small" data-test="user-unknown">
        {state.status === 'error' ? 'Session unknown (API unreachable)' : 'Signed out'}
      </span>
    );
  }
  const { user, csrfToken } = state.session;

  const onSignOut = async () => {
    setSigningOut(true);
    setError(null);
    try {
      await signOut(csrfToken);
    } catch (e) {
      setError((e as Error).message);
      setSigningOut(false);
    }
  };

  return (
    <div className="user-menu" ref={root}>
      <button
        type="button"
        className="user-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-test="user-menu"
      >
        <span className="avatar" aria-hidden>
          {initials(user.displayName || user.username)}
        </span>
        <span className="user-menu-name" data-test="user-name">
          {user.displayName || user.username}
        </span>
        <RoleBadge role={user.role} testId="user-role" />
        <span className="user-menu-caret" aria-hidden>
          ▾
        </span>
      </button>
      {open ? (
        <div className="user-menu-popup" role="menu" data-test="user-menu-popup">
          <div className="user-menu-who">
            <div className="strong">{user.displayName || user.username}</div>
            <div className="muted small">
              {user.username} · {user.provider === 'oidc' ? 'single sign-on' : 'local account'}
            </div>
          </div>
          {error ? (
            <div className="form-error small" role="alert" data-test="sign-out-error">
              {error}
            </div>
          ) : null}
          <button
            type="button"
            role="menuitem"
            className="user-menu-item"
            disabled={signingOut}
            onClick={() => void onSignOut()}
            data-test="sign-out"
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      ) : null}
    </div>
  );
}
