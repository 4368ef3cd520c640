'use client';
import type { UseQueryResult } from '@tanstack/react-query';
import type { Health, Role } from '@weft/schema';
import { useEffect, useState, type ReactNode } from 'react';
import { HEALTH_COLOR, HEALTH_LABEL } from '@/lib/health.ts';
import { formatAgo } from '@/lib/format.ts';

export function HealthBadge({ health, testId }: { health: Health; testId?: string }) {
  return (
    <span
      className={`health-badge health-${health}`}
      data-test={testId ?? 'health-badge'}
      data-health={health}
    >
      <span className="dot" style={{ background: HEALTH_COLOR[health] }} aria-hidden />
      {HEALTH_LABEL[health]}
    </span>
  );
}

const ROLE_LABEL: Record<Role, string> = { viewer: 'Viewer', editor: 'Editor', admin: 'Admin' };

export function RoleBadge({ role, testId }: { role: Role; testId?: string }) {
  return (
    <span className={`role-badge role-${role}`} data-test={testId ?? 'role-badge'} data-role={role}>
      {ROLE_LABEL[role]}
    </span>
  );
}

export function Stat({
  label,
  value,
  testId,
  hint,
}: {
  label: string;
  value: ReactNode;
  testId?: string;
  hint?: string;
}) {
  return (
    <div className="stat" data-test={testId} title={hint}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** True when the console server could not reach the API (see src/server/forward.ts). */
export function isApiUnreachable(error: unknown): boolean {
  return errorMessage(error).startsWith('API unreachable');
}

/** A whole-view error: what failed and what to do about it. */
export function ErrorState({ error, what }: { error: unknown; what: string }) {
  const message = errorMessage(error);
  const unreachable = isApiUnreachable(error);
  return (
    <div className="error-state" role="alert" data-test={unreachable ? 'api-unreachable' : 'api-error'}>
      <div className="error-title">{unreachable ? 'API unreachable' : `Could not load ${what}`}</div>
      <div className="error-message">{message}</div>
      <div className="error-hint">
        {unreachable
          ? 'The console keeps retrying every few seconds and will recover on its own once the API is back.'
          : 'The console retries automatically.'}
      </div>
    </div>
  );
}

/** A slim notice shown above data that is still displayed but no longer refreshing. */
export function StaleNotice({ error }: { error: unknown }) {
  return (
    <div className="stale-notice" role="status" data-test="stale-notice">
      Live updates failing — showing the last data received. {errorMessage(error)}
    </div>
  );
}

/**
 * A titled panel listing what `query` returns: loading, the error (while there is no data to show), `empty`
 * when the list is empty, else `children` of the rows.
 */
export function ListSection<T, E>({
  title,
  what,
  query,
  empty,
  children,
}: {
  title: string;
  what: string;
  query: UseQueryResult<T[], E>;
  empty: ReactNode;
  children: (rows: T[]) => ReactNode;
}) {
  return (
    <section className="section">
      <h2>{title}</h2>
      <div className="panel">
        {query.isPending ? (
          <Loading what={what} />
        ) : query.isError && !query.data ? (
          <ErrorState error={query.error} what={what} />
        ) : query.data.length === 0 ? (
          empty
        ) : (
          children(query.data)
        )}
      </div>
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" data-test="loading" aria-busy>
      Loading {what}…
    </div>
  );
}

export function Empty({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-test={testId ?? 'empty'}>
      {children}
    </div>
  );
}

/** "Updated 3s ago" for a live view, ticking once a second. */
export function LiveStatus({ updatedAt, fetching }: { updatedAt: number; fetching: boolean }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!updatedAt) return null;
  return (
    <span className={fetching ? 'live-status fetching' : 'live-status'} data-test="live-status">
      <span className="live-dot" aria-hidden />
      Updated {formatAgo(updatedAt, now)}
    </span>
  );
}

export function PageHeader({
  title,
  subtitle,
  children,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1 data-test="page-title">{title}</h1>
        {subtitle ? (
          <div className="page-subtitle" data-test="page-subtitle">
            {subtitle}
          </div>
        ) : null}
      </div>
      <div className="page-header-actions">{children}</div>
    </div>
  );
}
