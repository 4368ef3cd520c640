import { forwardToApi } from '@/server/forward.ts';

// Every call is forwarded at request time; nothing here may be prerendered or cached.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = (request: Request) => forwardToApi(request, 'trpc');
export const POST = (request: Request) => forwardToApi(request, 'trpc');
