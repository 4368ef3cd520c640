import type { NextConfig } from 'next';

const development = process.env.NODE_ENV === 'development';

/**
 * Everything the console loads comes from its own origin (the API is reached through /trpc and /auth on it).
 * Next's bootstrap scripts are inline, hence 'unsafe-inline' for scripts; React Refresh needs eval in `next dev`
 * only. Styles: React's style attributes (charts, graph) and Next's inlined CSS.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${development ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const securityHeaders = [
  { key: 'Content-Security-Policy', value: contentSecurityPolicy },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
];

const nextConfig: NextConfig = {
  // @weft/schema ships TypeScript source (with `.ts` import extensions); Next compiles it for the browser.
  transpilePackages: ['@weft/schema'],
  // A second output folder lets a developer run `next dev` beside a demo's built console (WEFT_WEB_DIST_DIR=.next-dev).
  distDir: process.env.WEFT_WEB_DIST_DIR ?? '.next',
  reactStrictMode: true,
  poweredByHeader: false,
  // eslint-disable-next-line @typescript-eslint/require-await -- Next's signature is async
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
