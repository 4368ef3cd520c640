import type { Metadata } from 'next';
import { LoginView } from '@/features/auth/LoginView.tsx';
import { safeReturnTo } from '@weft/schema';
import { fetchAuthProviders } from '@/server/providers.ts';

export const metadata: Metadata = { title: 'Sign in' };

/** Longest sign-in error (from `?error=`, set by the API's OIDC callback) the page repeats. */
const MAX_ERROR_LENGTH = 300;

type SearchParams = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const error = first(params.error)?.trim().slice(0, MAX_ERROR_LENGTH) || null;
  const providers = await fetchAuthProviders();
  return (
    <LoginView
      returnTo={safeReturnTo(first(params.returnTo))}
      initialError={error}
      oidc={providers.ok ? providers.providers.oidc : null}
      apiProblem={providers.ok ? null : providers.message}
    />
  );
}
