'use client';
import { keepPreviousData, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@weft/api/router';
import { useState, type ReactNode } from 'react';
import { TRPCProvider } from '@/lib/trpc.ts';
import { REFRESH_MS } from '@/lib/live.ts';

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
        retry: 1,
        retryDelay: 1_000,
      },
    },
  });
}

function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        // Same origin: the console server forwards /trpc to the API (see src/server/proxy.ts).
        url: '/trpc',
        maxURLLength: 4000,
      }),
    ],
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
