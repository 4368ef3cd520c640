'use client';
import { ErrorState } from '@/components/ui.tsx';

/** Last line of defence for a rendering bug: say what broke and offer a retry, never a blank page. */
export default function RouteError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div className="page">
      <ErrorState error={error} what="this page" />
      <button type="button" className="button" onClick={reset} data-test="error-retry">
        Retry
      </button>
    </div>
  );
}
