'use client';
/**
 * The sign-in page: username and password (POST /auth/login through the console's /auth forwarder), or the
 * configured OpenID Connect provider. On success the API has set the session cookie; a full navigation to
 * the page the user wanted starts the console afresh with it.
 */
import { AuthPaths, BOOTSTRAP_ADMIN_USERNAME } from '@weft/schema';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSession } from '@/components/Session.tsx';
import { RoleBadge } from '@/components/ui.tsx';
import { errorText } from '@/lib/session.ts';
import { formatWait, retryAfterSeconds } from '@/lib/wait.ts';

type Problem =
  | { kind: 'wrong-credentials' | 'invalid' | 'failed' | 'sso'; message: string }
  | { kind: 'rate-limited'; untilMs: number };

/** Without a Retry-After, wait as long as the API's window would at most. */
const DEFAULT_WAIT_SECONDS = 60;

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function LoginView({
  returnTo,
  initialError,
  oidc,
  apiProblem,
}: {
  returnTo: string;
  initialError: string | null;
  oidc: { name: string } | null;
  apiProblem: string | null;
}) {
  const { session } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(
    initialError ? { kind: 'sso', message: initialError } : null,
  );
  const passwordInput = useRef<HTMLInputElement>(null);

  const lockedUntil = problem?.kind === 'rate-limited' ? problem.untilMs : 0;
  const now = useNow(lockedUntil > 0);
  const waitSeconds = lockedUntil > now ? (lockedUntil - now) / 1000 : 0;
  const locked = waitSeconds > 0;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending || locked) return;
    setPending(true);
    setProblem(null);
    let response: Response;
    try {
      response = await fetch(AuthPaths.login, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: username.trim(), password }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (error) {
      setProblem({
        kind: 'failed',
        message: `Could not reach the console server: ${(error as Error).message}`,
      });
      setPending(false);
      return;
    }
    if (response.ok) {
      // The API has set the session cookie: load the console afresh with it.
      window.location.assign(returnTo);
      return;
    }
    if (response.status === 429) {
      const seconds =
        retryAfterSeconds(response.headers.get('retry-after'), Date.now()) ?? DEFAULT_WAIT_SECONDS;
      setProblem({ kind: 'rate-limited', untilMs: Date.now() + seconds * 1000 });
    } else if (response.status === 401) {
      setProblem({
        kind: 'wrong-credentials',
        message: await errorText(response, 'Wrong username or password'),
      });
    } else if (response.status === 400) {
      setProblem({
        kind: 'invalid',
        message: await errorText(response, 'Username and password are required'),
      });
    } else {
      setProblem({ kind: 'failed', message: await errorText(response, 'Sign-in failed') });
    }
    setPassword('');
    setPending(false);
    passwordInput.current?.focus();
  };

  return (
    <div className="center-page login-page" data-test="login-page">
      <div className="login-card card">
        <div className="login-brand">
          <span className="brand-mark" aria-hidden>
            ⋈
          </span>
          Weft
        </div>
        <h1 className="login-title">Sign in to the console</h1>

        {session ? (
          <div className="notice" data-test="already-signed-in">
            Signed in as <strong>{session.user.displayName || session.user.username}</strong>{' '}
            <RoleBadge role={session.user.role} />.{' '}
            <a href={returnTo} data-test="continue-signed-in">
              Continue to the console
            </a>{' '}
            or sign in as someone else below.
          </div>
        ) : null}
        {apiProblem ? (
          <div className="form-alert" role="alert" data-test="login-api-problem">
            {apiProblem}
          </div>
        ) : null}
        {problem ? <ProblemAlert problem={problem} waitSeconds={waitSeconds} /> : null}

        <form className="login-form" onSubmit={(e) => void onSubmit(e)} noValidate>
          <label className="field">
            <span className="field-label">Username</span>
            <input
              className="input"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              data-test="login-username"
            />
          </label>
          <label className="field">
            <span className="field-label">Password</span>
            <input
              ref={passwordInput}
              className="input"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              data-test="login-password"
            />
          </label>
          <button
            type="submit"
            className="button primary block"
            disabled={pending || locked || !username.trim() || !password}
            data-test="login-submit"
          >
            {pending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>

        {oidc ? (
          <>
            <div className="login-divider">
              <span>or</span>
            </div>
            <a
              className="button block"
              href={`${AuthPaths.oidcStart}?${new URLSearchParams({ returnTo }).toString()}`}
              data-test="login-oidc"
            >
              Sign in with {oidc.name}
            </a>
          </>
        ) : null}

        <p className="login-help" data-test="login-help">
          The first admin is <code>{BOOTSTRAP_ADMIN_USERNAME}</code>; its password is in{' '}
          <code>WEFT_ADMIN_PASSWORD</code> or printed by the API at first start (the demo prints it).
        </p>
      </div>
    </div>
  );
}

function ProblemAlert({ problem, waitSeconds }: { problem: Problem; waitSeconds: number }) {
  if (problem.kind === 'rate-limited') {
    return (
      <div className="form-alert" role="alert" data-test="login-error" data-kind="rate-limited">
        <strong>Too many failed sign-ins.</strong>{' '}
        {waitSeconds > 0 ? (
          <>
            Try again in <span data-test="login-wait">{formatWait(waitSeconds)}</span>.
          </>
        ) : (
          'You can try again now.'
        )}
      </div>
    );
  }
  const title =
    problem.kind === 'wrong-credentials'
      ? 'Wrong username or password.'
      : problem.kind === 'sso'
        ? 'Single sign-on failed.'
        : problem.kind === 'invalid'
          ? 'Check the form.'
          : 'Sign-in failed.';
  const detail =
    problem.message.replace(/\.$/, '').toLowerCase() === title.replace(/\.$/, '').toLowerCase()
      ? null
      : problem.message;
  return (
    <div className="form-alert" role="alert" data-test="login-error" data-kind={problem.kind}>
      <strong>{title}</strong>
      {detail ? <> {detail}</> : null}
    </div>
  );
}
