'use client';
/**
 * Admin pages render only for admins. Anyone else who opens the URL is told what is missing; the API refuses
 * every admin call to them anyway, so this is about a clear page, not about protection.
 */
import { roleAtLeast, type Role } from '@weft/schema';
import Link from 'next/link';
import { useState, type ReactNode } from 'react';
import { useSession } from '@/components/Session.tsx';
import { ErrorState, Loading, RoleBadge } from '@/components/ui.tsx';
import { signOut } from '@/lib/session.ts';

export function AdminGate({ children }: { children: ReactNode }) {
  const state = useSession();
  if (state.status === 'loading' || state.status === 'signed-out') return <Loading what="your session" />;
  if (state.status === 'error') return <ErrorState error={state.error} what="your session" />;
  const { user } = state.session;
  if (roleAtLeast(user.role, 'admin')) return children;
  return (
    <NeedsAdmin
      name={user.displayName || user.username}
      role={user.role}
      csrfToken={state.session.csrfToken}
    />
  );
}

function NeedsAdmin({ name, role, csrfToken }: { name: string; role: Role; csrfToken: string }) {
  const [error, setError] = useState<string | null>(null);
  const switchUser = async () => {
    try {
      await signOut(csrfToken);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="page">
      <div className="panel needs-role" role="alert" data-test="needs-admin">
        <svg className="needs-role-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden>
          <rect x="4" y="10" width="16" height="11" rx="2" fill="currentColor" />
          <path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" strokeWidth="2.2" />
        </svg>
        <div>
          <h1>This page needs the admin role</h1>
          <p>
            You are signed in as <strong>{name}</strong> with the <RoleBadge role={role} /> role. Managing
            tokens and users is for administrators: ask one to change your role, or sign in as an
            administrator.
          </p>
          {error ? <p className="text-failing">{error}</p> : null}
          <div className="needs-role-actions">
            <Link href="/" className="button primary" data-test="needs-admin-home">
              Back to the overview
            </Link>
            <button
              type="button"
              className="button"
              onClick={() => void switchUser()}
              data-test="needs-admin-switch"
            >
              Sign in as someone else
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
