import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="page" data-test="not-found">
      <div className="empty">
        <h1>Page not found</h1>
        <p>
          <Link href="/">Back to the services overview</Link>
        </p>
      </div>
    </div>
  );
}
