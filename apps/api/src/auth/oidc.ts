/**
 * Sign-in through an OpenID Connect provider (authorization code flow with PKCE, state and nonce), using
 * openid-client. The flow's secrets live in this process for ten minutes, keyed by a random id in a
 * short-lived cookie; the provider's claims map to a Weft role through configured group names.
 */
import * as client from 'openid-client';
import type { Role } from '@weft/schema';
import { randomSecret } from './secrets.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** The console's callback URL: <console origin>/auth/oidc/callback. */
  redirectUrl: string;
  name: string;
  roleClaim: string;
  adminGroups: readonly string[];
  editorGroups: readonly string[];
}

export interface OidcIdentity {
  subject: string;
  username: string;
  displayName: string;
  role: Role;
}

interface PendingFlow {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
  untilMs: number;
}

const FLOW_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;

export class OidcError extends Error {}

/**
 * What went wrong in the code exchange, in words a person can act on: the provider's own error code and
 * description, or openid-client's message with the check that failed (it keeps that in `cause`).
 */
function describeFailure(err: unknown): string {
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) {
    const description = err.error_description ? ` (${err.error_description})` : '';
    return `the OIDC provider refused the sign-in: ${err.error}${description}`;
  }
  const { message, cause } = err as Error;
  const detail = cause instanceof Error && cause.message !== message ? ` (${cause.message})` : '';
  return `the OIDC provider's answer was refused: ${message}${detail}`;
}

export class OidcSignIn {
  #config: Promise<client.Configuration> | undefined;
  readonly #pending = new Map<string, PendingFlow>();

  constructor(
    readonly settings: OidcSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return this.settings.name;
  }

  private configuration(): Promise<client.Configuration> {
    this.#config ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.settings.clientId,
        undefined,
        // client_secret_basic is what OIDC providers must support; without a secret, a public client (PKCE).
        this.settings.clientSecret !== undefined
          ? client.ClientSecretBasic(this.settings.clientSecret)
          : client.None(),
        new URL(this.settings.issuer).protocol === 'http:'
          ? { execute: [client.allowInsecureRequests] }
          : undefined,
      )
      .catch((err: unknown) => {
        // Try discovery again on the next sign-in instead of caching the failure.
        this.#config = undefined;
        throw new OidcError(
          `cannot reach the OIDC provider at ${this.settings.issuer}: ${(err as Error).message}`,
        );
      });
    return this.#config;
  }

  /** Starts a sign-in: the provider URL to redirect to, and the flow id for the cookie. */
  async start(returnTo: string): Promise<{ url: string; flowId: string }> {
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    this.sweep();
    const flowId = randomSecret(24);
    this.#pending.set(flowId, { verifier, state, nonce, returnTo, untilMs: this.now() + FLOW_TTL_MS });
    return { url: url.href, flowId };
  }

  /** Completes a sign-in from the provider's redirect (its query string) and the flow cookie. */
  async finish(
    search: string,
    flowId: string | undefined,
  ): Promise<{ identity: OidcIdentity; returnTo: string }> {
    const flow = flowId ? this.#pending.get(flowId) : undefined;
    if (!flow || flow.untilMs < this.now()) {
      throw new OidcError('the sign-in took too long or was started elsewhere; start it again');
    }
    this.#pending.delete(flowId as string);
    const config = await this.configuration();
    const current = new URL(this.settings.redirectUrl);
    current.search = search;
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new OidcError('the OIDC provider sent no ID token');
      claims = { ...idClaims };
      // Many providers keep profile and group claims out of the ID token: ask the userinfo endpoint too.
      if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = {
          ...info,
          ...idClaims,
          [this.settings.roleClaim]: idClaims[this.settings.roleClaim] ?? info[this.settings.roleClaim],
        };
      }
    } catch (err) {
      if (err instanceof OidcError) throw err;
      throw new OidcError(describeFailure(err));
    }
    return { identity: this.identityFrom(claims), returnTo: flow.returnTo };
  }

  identityFrom(claims: Record<string, unknown>): OidcIdentity {
    // An empty claim counts as absent, so "" never becomes the username "@oidc".
    const str = (key: string) => {
      const value = claims[key];
      return typeof value === 'string' && value.trim() !== '' ? value : undefined;
    };
    const subject = str('sub');
    if (!subject) throw new OidcError('the ID token has no subject');
    const raw = str('preferred_username') ?? str('email') ?? subject;
    const username = raw.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 48);
    const groupsClaim = claims[this.settings.roleClaim];
    const groups = Array.isArray(groupsClaim)
      ? groupsClaim.filter((g): g is string => typeof g === 'string')
      : typeof groupsClaim === 'string'
        ? [groupsClaim]
        : [];
    const role: Role = groups.some((g) => this.settings.adminGroups.includes(g))
      ? 'admin'
      : groups.some((g) => this.settings.editorGroups.includes(g))
        ? 'editor'
        : 'viewer';
    return { subject, username, displayName: (str('name') ?? raw).slice(0, 128), role };
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, flow] of this.#pending) if (flow.untilMs < now) this.#pending.delete(id);
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next();
      if (oldest.done) break;
      this.#pending.delete(oldest.value);
    }
  }
}
