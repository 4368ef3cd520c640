import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/Providers.tsx';
import '@xyflow/react/dist/style.css';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Weft console', template: '%s · Weft' },
  description: 'Live service graph, golden signals and traces of a Weft mesh',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
