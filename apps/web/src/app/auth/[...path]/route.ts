import { forwardToApi } from '@/server/forward.ts';

// Sign-in, sign-out, providers and the OIDC round trip: forwarded unchanged to the API's /auth/*, which sets
// and clears the session cookie on this (the console's) origin. Nothing here may be prerendered or cached.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = (request: Request) => forwardToApi(request, 'auth');
export const POST = (request: Request) => forwardToApi(request, 'auth');
