import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // @weft/schema ships TypeScript source (with `.ts` import extensions); Next compiles it for the browser.
  transpilePackages: ['@weft/schema'],
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
