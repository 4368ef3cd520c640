/**
 * A real OpenID Connect provider (the `oidc-provider` package) for tests, on 127.0.0.1 and a port the OS
 * hands out. One confidential client; accounts defined by the test. The provider's interactive login is
 * replaced by a scripted one: GET /interaction/:uid signs in whoever the test chose with `signInNext`
 * (granting "openid profile email"), or answers access_denied when nobody was chosen.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestAccount {
  /** The account id, also the `sub` claim. */
  sub: string;
  name: string;
  preferredUsername: string;
  email: string;
  /** Omitted: the ID token has no `groups` claim. */
  groups?: string[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by `sub`; a test may change one between sign-ins (the provider reads it on every token). */
  accounts: Map<string, TestAccount>;
  /** Who the scripted login signs in next; undefined: the user cancels (access_denied). */
  signInNext(sub: string | undefined): void;
  /** How many times the scripted login page was reached. */
  readonly interactions: number;
  close(): Promise<void>;
}

// --- the part of oidc-provider's API used here (the package ships no types) -------------------------

interface OidcInteraction {
  uid: string;
  params: Record<string, unknown>;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

interface OidcProviderInstance {
  Grant: new (init: { accountId: string; clientId: string }) => OidcGrant;
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
}

type OidcProviderConstructor = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => OidcProviderInstance;

const OIDC_PROVIDER_PACKAGE: string = 'oidc-provider';

async function loadProvider(): Promise<OidcProviderConstructor> {
  const mod = (await import(OIDC_PROVIDER_PACKAGE)) as { default: OidcProviderConstructor };
  return mod.default;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)$/;

export async function startOidcProvider(options: {
  /** The client's one registered redirect URI: the API's /auth/oidc/callback. */
  redirectUri: string;
  accounts: readonly TestAccount[];
  clientId?: string;
}): Promise<TestOidcProvider> {
  const Provider = await loadProvider();
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));
  const clientId = options.clientId ?? 'weft-console';
  const clientSecret = randomBytes(24).toString('base64url');
  let next: string | undefined;
  let interactions = 0;

  // Listen first so the issuer can carry the port the OS handed out; the request handler is attached
  // before this function returns, and nobody knows the port before then.
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: false } },
    // Seconds; set so the provider does not print a notice for each default it falls back to.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // Profile claims in the ID token even though an access token is issued as well.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email'],
    },
    findAccount: (_ctx: unknown, sub: string) => {
      if (!accounts.has(sub)) return undefined;
      return {
        accountId: sub,
        claims: () => {
          const a = accounts.get(sub);
          if (!a) return { sub };
          return {
            sub,
            name: a.name,
            preferred_username: a.preferredUsername,
            email: a.email,
            ...(a.groups ? { groups: a.groups } : {}),
          };
        },
      };
    },
  });
  const providerCallback = provider.callback();

  async function scriptedLogin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    interactions++;
    const details = await provider.interactionDetails(req, res);
    const accountId = next;
    if (accountId === undefined || !accounts.has(accountId)) {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope('openid profile email');
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'GET' && INTERACTION_PATH.test(path)) {
      scriptedLogin(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`scripted login failed: ${(err as Error).message}`);
      });
      return;
    }
    void providerCallback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    signInNext(sub) {
      next = sub;
    },
    get interactions() {
      return interactions;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
