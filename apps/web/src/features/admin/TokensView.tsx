'use client';
/**
 * Machine tokens: a workload token lets one proxy register and report as exactly one workload; an ingest token
 * lets an OpenTelemetry SDK send telemetry. The secret is shown once, right after creation; the API keeps
 * only its hash.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  AuthLimits,
  describeScope,
  ROLES,
  tokenCreateSchema,
  type TokenKind,
  type TokenSummary,
} from '@weft/schema';
import { useState, type FormEvent } from 'react';
import {
  CallFailedAlert,
  ConfirmButton,
  CopyButton,
  Field,
  fieldErrorsOf,
  FormAlert,
  serverFieldErrors,
  SubmitButton,
  TextField,
  useDraft,
} from '@/components/form.tsx';
import { Empty, ListSection, PageHeader } from '@/components/ui.tsx';
import { formatAgo, formatDateTime } from '@/lib/format.ts';
import { useTRPC } from '@/lib/trpc.ts';

interface Draft {
  kind: TokenKind;
  name: string;
  namespace: string;
  service: string;
  version: string;
  role: string;
}

const EMPTY_DRAFT: Draft = {
  kind: 'workload',
  name: '',
  namespace: '',
  service: '',
  version: '',
  role: 'viewer',
};

const KIND_LABEL: Record<TokenKind, string> = {
  workload: 'Workload (proxy)',
  ingest: 'Ingest (OTLP)',
  user: 'API (weft CLI)',
};

const KIND_HELP: Record<TokenKind, string> = {
  workload:
    'The proxy of exactly this namespace, service and version: it may register, read its config and report telemetry only as that workload.',
  ingest:
    'An OpenTelemetry SDK sending OTLP/HTTP: leave namespace and service blank to accept any service, or limit it to one.',
  user: 'Scripts and the weft CLI (WEFT_TOKEN): the API with this role, no sign-in and no CSRF header. Never accepted by /v1 (proxies, OTLP).',
};

/** What the form holds, in the shape tokens.create takes (optional ingest fields left out when blank). */
function toInput(draft: Draft) {
  const name = draft.name.trim();
  const namespace = draft.namespace.trim();
  const service = draft.service.trim();
  if (draft.kind === 'workload') {
    return { kind: 'workload' as const, name, namespace, service, version: draft.version.trim() };
  }
  if (draft.kind === 'user') return { kind: 'user' as const, name, role: draft.role };
  return {
    kind: 'ingest' as const,
    name,
    ...(namespace ? { namespace } : {}),
    ...(service ? { service } : {}),
  };
}

/**
 * The line to paste where the token is used: the proxy's environment, or an OpenTelemetry SDK's (which sends
 * it as `Authorization: Bearer …`; the variable's values are URL-encoded, hence %20).
 */
function envLine(kind: TokenKind, token: string): string {
  if (kind === 'workload') return `WEFT_PROXY_TOKEN=${token}`;
  if (kind === 'user') return `WEFT_TOKEN=${token}`;
  return `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20${token}`;
}

export function TokensView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.tokens.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const [created, setCreated] = useState<{ token: string; summary: TokenSummary } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });

  return (
    <div className="page admin-page" data-test="tokens-page">
      <PageHeader
        title="Tokens"
        subtitle="Workload tokens identify one proxy's workload to the control plane; ingest tokens let OpenTelemetry SDKs send telemetry."
      />
      <CreateTokenForm
        onCreated={(result) => {
          setCreated(result);
          void invalidate();
        }}
      />
      {created ? <NewSecret created={created} onDismiss={() => setCreated(null)} /> : null}

      <ListSection
        title="All tokens"
        what="tokens"
        query={list}
        empty={
          <Empty testId="tokens-empty">
            No tokens yet. Create one above for each proxy or telemetry sender.
          </Empty>
        }
      >
        {(tokens) => (
          <TokensTable
            tokens={tokens}
            highlightId={created?.summary.id ?? null}
            onRevoked={() => void invalidate()}
          />
        )}
      </ListSection>
    </div>
  );
}

function CreateTokenForm({
  onCreated,
}: {
  onCreated: (result: { token: string; summary: TokenSummary }) => void;
}) {
  const trpc = useTRPC();
  const { draft, setDraft, errors, setErrors, field } = useDraft(EMPTY_DRAFT);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: (result) => {
        setDraft((d) => ({ ...EMPTY_DRAFT, kind: d.kind }));
        onCreated(result);
      },
      onError: (error) => setErrors(serverFieldErrors(error)),
    }),
  );

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = tokenCreateSchema.safeParse(toInput(draft));
    if (!parsed.success) {
      setErrors(fieldErrorsOf(parsed.error));
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };

  const workload = draft.kind === 'workload';
  const role = field('role');
  return (
    <form className="panel form-panel" onSubmit={onSubmit} noValidate data-test="token-form">
      <div className="form-panel-header">
        <h2>New token</h2>
        <div className="segmented" role="radiogroup" aria-label="Token kind">
          {(['workload', 'ingest', 'user'] as const).map((kind) => (
            <button
              key={kind}
              type="button"
              role="radio"
              aria-checked={draft.kind === kind}
              className={draft.kind === kind ? 'active' : undefined}
              onClick={() => {
                setDraft((d) => ({ ...d, kind }));
                setErrors({});
              }}
              data-test={`token-kind-${kind}`}
            >
              {KIND_LABEL[kind]}
            </button>
          ))}
        </div>
      </div>
      <p className="form-help muted">{KIND_HELP[draft.kind]}</p>
      <div className="form-row">
        <TextField
          label="Name"
          {...field('name')}
          className="grow"
          maxLength={AuthLimits.maxTokenNameLength}
          placeholder={
            workload ? 'catalog-v1 (prod-eu)' : draft.kind === 'user' ? 'ci-deploys' : 'checkout-sdk'
          }
          testId="token-name"
        />
        {draft.kind === 'user' ? (
          <Field label="Role" error={role.error} className="narrow-field">
            <select
              className="input"
              value={role.value}
              onChange={(e) => role.onChange(e.target.value)}
              data-test="token-role"
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {draft.kind === 'user' ? null : (
          <TextField
            label={workload ? 'Namespace' : 'Namespace (optional)'}
            {...field('namespace')}
            placeholder="shop"
            spellCheck={false}
            testId="token-namespace"
          />
        )}
        {draft.kind === 'user' ? null : (
          <TextField
            label={workload ? 'Service' : 'Service (optional)'}
            {...field('service')}
            placeholder="catalog"
            spellCheck={false}
            testId="token-service"
          />
        )}
        {workload ? (
          <TextField
            label="Version"
            {...field('version')}
            className="narrow-field"
            placeholder="v1"
            spellCheck={false}
            testId="token-version"
          />
        ) : null}
        <SubmitButton
          label="Create token"
          pendingLabel="Creating…"
          pending={create.isPending}
          testId="token-create"
        />
      </div>
      {errors._ ? <FormAlert>{errors._}</FormAlert> : null}
      <CallFailedAlert error={create.error} what="create the token" />
    </form>
  );
}

function NewSecret({
  created,
  onDismiss,
}: {
  created: { token: string; summary: TokenSummary };
  onDismiss: () => void;
}) {
  const { token, summary } = created;
  const line = envLine(summary.kind, token);
  return (
    <div className="panel secret-panel" role="status" data-test="token-secret-panel">
      <div className="secret-header">
        <div>
          <h2>
            Token “{summary.name}” created <span className="muted small">({describeScope(summary)})</span>
          </h2>
          <p className="secret-warning">Copy it now: this is the only time the console shows the secret.</p>
        </div>
        <button type="button" className="button link" onClick={onDismiss} data-test="token-secret-dismiss">
          Done
        </button>
      </div>
      <div className="secret-row">
        <span className="secret-label">Token</span>
        <code className="secret" data-test="token-secret">
          {token}
        </code>
        <CopyButton text={token} label="Copy token" testId="copy-token" />
      </div>
      <div className="secret-row">
        <span className="secret-label">
          {summary.kind === 'workload' ? 'Proxy env' : summary.kind === 'user' ? 'CLI env' : 'SDK env'}
        </span>
        <code className="secret" data-test="token-env-line">
          {line}
        </code>
        <CopyButton text={line} label="Copy line" testId="copy-env-line" />
      </div>
    </div>
  );
}

function TokensTable({
  tokens,
  highlightId,
  onRevoked,
}: {
  tokens: TokenSummary[];
  highlightId: string | null;
  onRevoked: () => void;
}) {
  const trpc = useTRPC();
  const now = Date.now();
  const sorted = [...tokens].sort(
    (a, b) =>
      Number(a.revokedAtMs !== null) - Number(b.revokedAtMs !== null) || b.createdAtMs - a.createdAtMs,
  );
  return (
    <table className="table" data-test="tokens-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Scope</th>
          <th>Created by</th>
          <th>Created</th>
          <th>Last used</th>
          <th>Status</th>
          <th className="actions-col" aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {sorted.map((t) => (
          <tr
            key={t.id}
            className={`${t.revokedAtMs !== null ? 'row-revoked' : ''}${t.id === highlightId ? ' row-new' : ''}`}
            data-test="token-row"
            data-token-id={t.id}
            data-token-name={t.name}
            data-revoked={t.revokedAtMs !== null}
          >
            <td className="strong">{t.name}</td>
            <td className="nowrap" data-test="token-scope">
              {describeScope(t)}
            </td>
            <td>{t.createdBy}</td>
            <td className="nowrap">{formatDateTime(t.createdAtMs)}</td>
            <td className="nowrap" title={t.lastUsedAtMs ? formatDateTime(t.lastUsedAtMs) : undefined}>
              {t.lastUsedAtMs ? formatAgo(t.lastUsedAtMs, now) : <span className="muted">never</span>}
            </td>
            <td className="nowrap" data-test="token-status">
              {t.revokedAtMs !== null ? (
                <span className="status-revoked" title={formatDateTime(t.revokedAtMs)}>
                  Revoked {formatDateTime(t.revokedAtMs)}
                </span>
              ) : (
                <span className="status-ok">Active</span>
              )}
            </td>
            <td className="actions-col">
              {t.revokedAtMs === null ? (
                <ConfirmButton
                  label="Revoke"
                  pendingLabel="Revoking…"
                  question={`${t.kind === 'workload' ? 'Its proxy will be refused.' : 'Its sender will be refused.'} Revoke?`}
                  mutation={trpc.tokens.revoke.mutationOptions({ onSuccess: onRevoked })}
                  variables={{ id: t.id }}
                  testId="token-revoke"
                />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
