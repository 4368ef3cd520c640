'use client';
/**
 * Who is signed in, from the API's `auth.me`, for every component that shows or depends on it (user menu,
 * admin navigation, admin pages). It only decides what the console shows: the API checks the role again on
 * every call.
 */
import { useQuery } from '@tanstack/react-query';
import { roleAtLeast, type Role, type SessionInfo } from '@weft/schema';
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { goToLogin, type CsrfStore } from '@/lib/session.ts';

export type SessionState =
  | { status: 'loading'; session: undefined; error: null }
  | { status: 'error'; session: undefined; error: unknown }
  | { status: 'signed-out'; session: null; error: null }
  | { status: 'signed-in'; session: SessionInfo; error: null };

const SessionContext = createContext<SessionState>({ status: 'loading', session: undefined, error: null });

/** Sessions end after idling or at their maximum age: check now and then, so the console notices. */
const SESSION_CHECK_MS = 60_000;

export function SessionProvider({ csrf, children }: { csrf: CsrfStore; children: ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(
    trpc.auth.me.queryOptions(undefined, {
      refetchInterval: SESSION_CHECK_MS,
      staleTime: 10_000,
      // A different answer is a different person or no one: never show the previous one meanwhile.
      placeholderData: undefined,
    }),
  );
  const data = me.data;
  useEffect(() => {
    if (data !== undefined) csrf.token = data?.csrfToken ?? null;
  }, [csrf, data]);

  const state = useMemo<SessionState>(() => {
    if (data === null) return { status: 'signed-out', session: null, error: null };
    if (data) return { status: 'signed-in', session: data, error: null };
    if (me.isError) return { status: 'error', session: undefined, error: me.error };
    return { status: 'loading', session: undefined, error: null };
  }, [data, me.isError, me.error]);

  return <SessionContext value={state}>{children}</SessionContext>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** True once the session is known to have at least `role`. */
export function useHasRole(role: Role): boolean {
  const { session } = useSession();
  return session ? roleAtLeast(session.user.role, role) : false;
}

/** On console pages: a cookie the API no longer accepts (expired, revoked) sends the user to sign in. */
export function SessionGuard() {
  const { status } = useSession();
  useEffect(() => {
    if (status === 'signed-out') goToLogin();
  }, [status]);
  return null;
}
