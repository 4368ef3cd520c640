import { forwardToApi } from '@/server/proxy.ts';

// Every call is forwarded at request time; nothing here may be prerendered or cached.
export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = forwardToApi;
export const POST = forwardToApi;
