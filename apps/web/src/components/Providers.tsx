'use client';
import { keepPreviousData, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@weft/api/router';
import { QueryLimits } from '@weft/schema';
import { useState, type ReactNode } from 'react';
import { TRPCProvider } from '@/lib/trpc.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { CsrfStore, goToLogin, isForbidden, isUnauthorized } from '@/lib/session.ts';
import { SessionProvider } from './Session.tsx';

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        refetchInterval: REFRESH_MS,
        // A dashboard left open in a background tab should still be current when you come back to it.
        refetchIntervalInBackground: false,
        refetchOnWindowFocus: true,
        staleTime: 2_000,
        // Keep showing the last answer while the next one (new window, new filter) loads: no flashing.
        placeholderData: keepPreviousData,
        // Asking again does not sign anyone in or grant a role.
        retry: (failures, error) => failures < 1 && !isUnauthorized(error) && !isForbidden(error),
        retryDelay: 1_000,
      },
    },
  });
}

/** Any call answered 401 means the session is gone: to the sign-in page, and back here afterwards. */
const sessionExpiredLink: TRPCLink<AppRouter> =
  () =>
  ({ next, op }) =>
    observable((observer) =>
      next(op).subscribe({
        next: (value) => observer.next(value),
        error: (error) => {
          if (isUnauthorized(error)) goToLogin();
          observer.error(error);
        },
        complete: () => observer.complete(),
      }),
    );

function makeTrpcClient(csrf: CsrfStore) {
  return createTRPCClient<AppRouter>({
    links: [
      sessionExpiredLink,
      httpBatchLink({
        // Same origin: the console server forwards /trpc to the API (see src/server/forward.ts), and the
        // session cookie goes along. Mutations must echo the session's CSRF token.
        url: '/trpc',
        maxURLLength: 4000,
        maxItems: QueryLimits.maxBatchSize,
        headers: () => csrf.headers(),
      }),
    ],
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [csrf] = useState(() => new CsrfStore());
  const [trpcClient] = useState(() => makeTrpcClient(csrf));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SessionProvider csrf={csrf}>{children}</SessionProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
