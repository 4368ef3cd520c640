import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="center-page" data-test="not-found">
      <div className="card">
        <h1>Page not found</h1>
        <p className="muted">There is no console page at this address.</p>
        <p>
          <Link href="/">Back to the services overview</Link>
        </p>
      </div>
    </div>
  );
}
