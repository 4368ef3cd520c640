'use client';
/**
 * One editor for every policy kind (contract.ts): the kind's form edits the spec; around it the shell keeps
 * name, namespace and target, validates as you type (the shared zod schema at once, the server's validate()
 * dry run debounced), shows the YAML that will be written and its diff against what is live, and applies it
 * with the resourceVersion it read. A 409 (someone else changed it meanwhile) or a refusal is explained with
 * what to do; nothing is written unless the whole policy is accepted.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  POLICY_API_VERSION,
  policyResourceSchema,
  policyYaml,
  unifiedDiff,
  type PolicyKind,
  type PolicyResourceInput,
  type TargetRef,
} from '@weft/schema';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState, type ComponentType } from 'react';
import { ConfirmButton } from '@/components/form.tsx';
import { useHasRole, useSession } from '@/components/Session.tsx';
import { PageHeader } from '@/components/ui.tsx';
import { formatDateTime } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';
import { useWindowHref } from '@/lib/window.ts';
import { classifyApplyError, type ApplyFailure } from './apply-errors.ts';
import type { EditorContext, KindEditor, SpecFormProps } from './contract.ts';
import { DiffView } from './DiffView.tsx';
import { IssueLine, ShownPathsContext, ShownPathsStore, useShownPaths } from './FieldIssueList.tsx';
import { KIND_EDITORS } from './forms/index.ts';
import { editPolicyHref, serviceHref } from './hrefs.ts';
import { countBySeverity, fieldIssuesOf, issuesNotShown, schemaIssues, type PathedIssue } from './issues.ts';
import { KIND_LABELS } from './kinds.ts';
import { reapply } from './rebase.ts';
import { ReviewPanel } from './ReviewPanel.tsx';
import { TargetFields, targetRefOf } from './TargetFields.tsx';
import { useDryRun } from './useDryRun.ts';
import { useEditorContext } from './useEditorContext.ts';
import './editor.css';

export type StoredPolicy = RouterOutputs['policies']['get'];

/** What the user is editing: the parts of the resource the editor writes. */
export interface Draft {
  name: string;
  namespace: string;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  spec: unknown;
}

export function draftOf(stored: StoredPolicy): Draft {
  const { metadata, spec } = stored.resource;
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    labels: metadata.labels,
    annotations: metadata.annotations,
    spec,
  };
}

/**
 * The registry's editors with their kind erased: the shell handles every kind alike, and each form gets the
 * spec of its own kind because the shell looks the form up by the resource's kind.
 */
interface AnyKindEditor {
  title: string;
  summary: string;
  initialSpec: (context: EditorContext) => unknown;
  Form: ComponentType<
    Omit<SpecFormProps<PolicyKind>, 'spec' | 'onChange'> & {
      spec: unknown;
      onChange: (spec: unknown) => void;
    }
  >;
}

export function kindEditor(kind: PolicyKind): AnyKindEditor | undefined {
  return KIND_EDITORS[kind] as KindEditor<PolicyKind> | undefined as AnyKindEditor | undefined;
}

function resourceOf(kind: PolicyKind, draft: Draft, resourceVersion?: string): PolicyResourceInput {
  return {
    apiVersion: POLICY_API_VERSION,
    kind,
    metadata: {
      name: draft.name,
      namespace: draft.namespace,
      ...(draft.labels ? { labels: draft.labels } : {}),
      ...(draft.annotations ? { annotations: draft.annotations } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: draft.spec,
  } as PolicyResourceInput;
}

function storedYaml(stored: StoredPolicy): string {
  return policyYaml(stored.resource);
}

type Outcome =
  | { type: 'applied'; stored: StoredPolicy; created: boolean }
  | ApplyFailure
  /** Someone else changed (or deleted: latest null) the policy since it was read. */
  | { type: 'changed'; latest: StoredPolicy | null; onApply: boolean };

export function EditorShell({
  kind,
  stored,
  initial,
  takenNames,
}: {
  kind: PolicyKind;
  /** The policy as read (its resourceVersion goes with the write), or null for a new one. */
  stored: StoredPolicy | null;
  initial: Draft;
  /** Names of the kind's policies in the namespace: a new policy must not take one. */
  takenNames: ReadonlySet<string>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const href = useWindowHref();
  const session = useSession();
  const isEditor = useHasRole('editor');
  const readOnly = !isEditor;
  const editor = kindEditor(kind);
  const label = KIND_LABELS[kind];

  const [draft, setDraft] = useState<Draft>(initial);
  const [base, setBase] = useState<StoredPolicy | null>(stored);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [applying, setApplying] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const shownStore = useMemo(() => new ShownPathsStore(), []);
  const shown = useShownPaths(shownStore);

  const target = targetRefOf(draft.spec);
  const targetService = target.kind === 'HTTPRoute' ? undefined : target.name || undefined;
  const { context } = useEditorContext(draft.namespace, targetService);

  const resource = useMemo(() => resourceOf(kind, draft), [kind, draft]);
  const draftYaml = useMemo(() => policyYaml(resource), [resource]);
  const liveYaml = useMemo(() => (base ? storedYaml(base) : ''), [base]);
  const liveLabel = base
    ? `live ${kind}/${base.resource.metadata.name} (resourceVersion ${base.resource.metadata.resourceVersion ?? '?'})`
    : '/dev/null';
  const diff = useMemo(
    () => unifiedDiff(liveYaml, draftYaml, liveLabel, 'this draft'),
    [liveYaml, draftYaml, liveLabel],
  );

  const clientIssues = useMemo<PathedIssue[]>(() => {
    const parsed = policyResourceSchema.safeParse(resource);
    const out = parsed.success ? [] : schemaIssues(parsed.error);
    if (!base && takenNames.has(draft.name)) {
      out.push({
        code: 'EXISTS',
        severity: 'error',
        path: 'metadata.name',
        message: `a ${kind} named "${draft.name}" already exists in namespace "${draft.namespace}": pick another name, or open that one to change it`,
      });
    }
    return out;
  }, [resource, base, takenNames, draft.name, draft.namespace, kind]);
  const schemaOk = !clientIssues.some((i) => i.severity === 'error');
  const dryRun = useDryRun(resource, draftYaml, schemaOk);
  // A refusal on apply names problems too; they stay at their fields until the draft changes.
  const refusal = outcome?.type === 'refused' ? outcome.findings : [];
  const serverIssues = dryRun.status === 'done' || dryRun.status === 'checking' ? dryRun.findings : [];
  const issues = useMemo(
    () => fieldIssuesOf(clientIssues, [...serverIssues, ...refusal]),
    [clientIssues, serverIssues, refusal],
  );
  const counts = countBySeverity(issues);
  const unplaced = issuesNotShown(issues, shown);

  // While the editor is open, what is live is watched: a change that only moved the resourceVersion (a
  // status update: Programmed after the proxies ACKed) just moves the base along; a real change by someone
  // else is announced before the user tries to apply over it.
  const ref = base
    ? { kind, namespace: base.resource.metadata.namespace, name: base.resource.metadata.name }
    : null;
  const live = useQuery(
    trpc.policies.get.queryOptions(ref ?? { kind, namespace: 'x', name: 'x' }, {
      enabled: ref !== null && !deleted,
      refetchInterval: REFRESH_MS,
      retry: false,
    }),
  );
  const latest = live.data;
  useEffect(() => {
    if (!base || !latest || applying) return;
    if (latest.resource.metadata.resourceVersion === base.resource.metadata.resourceVersion) return;
    if (latest.updatedAtMs < base.updatedAtMs) return; // an answer older than our own write
    if (storedYaml(latest) === storedYaml(base)) setBase(latest);
    else setOutcome((o) => (o?.type === 'changed' ? o : { type: 'changed', latest, onApply: false }));
  }, [base, latest, applying]);

  const upsert = useMutation(trpc.policies.upsert.mutationOptions());

  const setSpec = (spec: unknown) => {
    setDraft((d) => ({ ...d, spec }));
    if (outcome?.type !== 'changed') setOutcome(null);
  };
  const setTargetRef = (targetRef: TargetRef) => {
    const spec = draft.spec !== null && typeof draft.spec === 'object' ? draft.spec : {};
    setSpec({ ...spec, targetRef });
  };

  async function fetchLatest(): Promise<StoredPolicy | null> {
    if (!base) return null;
    try {
      return await queryClient.fetchQuery(
        trpc.policies.get.queryOptions(
          { kind, namespace: base.resource.metadata.namespace, name: base.resource.metadata.name },
          { staleTime: 0 },
        ),
      );
    } catch {
      return null;
    }
  }

  async function apply() {
    setApplying(true);
    setOutcome(null);
    const created = base === null;
    try {
      let stored: StoredPolicy;
      try {
        stored = await upsert.mutateAsync(resourceOf(kind, draft, base?.resource.metadata.resourceVersion));
      } catch (error) {
        const failure = classifyApplyError(error);
        if (failure.type !== 'conflict') throw error;
        const now = await fetchLatest();
        // Only the status moved on since the read (the resourceVersion counts status writes): the spec the
        // user started from is still what is live, so the write is safe to send again on the new version.
        if (!now || !base || storedYaml(now) !== storedYaml(base)) {
          setOutcome({ type: 'changed', latest: now, onApply: true });
          return;
        }
        setBase(now);
        stored = await upsert.mutateAsync(resourceOf(kind, draft, now.resource.metadata.resourceVersion));
      }
      setBase(stored);
      setDraft(draftOf(stored));
      setOutcome({ type: 'applied', stored, created });
      const storedRef = {
        kind,
        namespace: stored.resource.metadata.namespace,
        name: stored.resource.metadata.name,
      };
      queryClient.setQueryData(trpc.policies.get.queryKey(storedRef), stored);
      void queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.policies.history.queryKey() });
      if (created) {
        // The URL now names the policy, without reloading the page (and losing the "created" notice).
        window.history.replaceState(
          null,
          '',
          href(editPolicyHref(kind, storedRef.namespace, storedRef.name)),
        );
      }
    } catch (error) {
      const failure = classifyApplyError(error);
      setOutcome(
        failure.type === 'conflict'
          ? { type: 'changed', latest: await fetchLatest(), onApply: true }
          : failure,
      );
    } finally {
      setApplying(false);
    }
  }

  /** After a conflict: my change (read version → draft) replayed on top of what is live now. */
  function reapplyOnLatest(now: StoredPolicy | null) {
    if (now && base) {
      setDraft((d) => ({
        ...d,
        labels: reapply(
          base.resource.metadata.labels,
          d.labels,
          now.resource.metadata.labels,
        ) as Draft['labels'],
        annotations: reapply(
          base.resource.metadata.annotations,
          d.annotations,
          now.resource.metadata.annotations,
        ) as Draft['annotations'],
        spec: reapply(base.resource.spec, d.spec, now.resource.spec),
      }));
    }
    setBase(now);
    setOutcome(null);
  }

  function discardMine(now: StoredPolicy | null) {
    if (now) setDraft(draftOf(now));
    setBase(now);
    setOutcome(null);
  }

  const backHref = href(targetService ? serviceHref(draft.namespace, targetService) : '/policies');
  const checking = dryRun.status === 'checking';
  const noChange = base !== null && diff === '';
  const canApply =
    !readOnly &&
    counts.errors === 0 &&
    !checking &&
    !applying &&
    !noChange &&
    outcome?.type !== 'changed' &&
    !deleted;
  const applyHint = readOnly
    ? 'Only editors can apply.'
    : counts.errors > 0
      ? `Fix ${counts.errors} problem${counts.errors === 1 ? '' : 's'} first.`
      : checking
        ? 'Checking with the control plane…'
        : noChange
          ? 'Nothing to apply: this is what is live.'
          : outcome?.type === 'changed'
            ? 'Resolve the change made meanwhile first.'
            : null;

  return (
    <ShownPathsContext value={shownStore}>
      <div
        className="page pe-page"
        data-test="policy-editor"
        data-kind={kind}
        data-mode={base ? 'edit' : 'new'}
      >
        <div className="breadcrumb">
          <Link href={href('/policies')}>Policies</Link> <span>/</span> <span>{draft.namespace}</span>
          {targetService ? (
            <>
              {' '}
              <span>/</span> <Link href={backHref}>{targetService}</Link>
            </>
          ) : null}{' '}
          <span>/</span> <strong>{label.title}</strong>
        </div>
        <PageHeader
          title={
            <>
              {label.title}
              <span className="tag">{kind}</span>
              {base ? null : <span className="tag pe-new-tag">new</span>}
            </>
          }
          subtitle={editor?.summary ?? `A ${kind} policy.`}
        >
          <Link className="button" href={backHref} data-test="editor-back">
            ← Back
          </Link>
        </PageHeader>

        {readOnly && session.status !== 'loading' ? (
          <div className="notice pe-readonly" role="note" data-test="editor-readonly">
            You are signed in as a <strong>{session.session?.user.role ?? 'viewer'}</strong>: you can look at
            this policy, its YAML and the checks, but only editors can change, apply or delete policies. Ask
            an admin for the editor role.
          </div>
        ) : null}
        {deleted ? (
          <div className="form-success" role="status" data-test="editor-deleted">
            Deleted. <Link href={backHref}>Back</Link>
          </div>
        ) : null}
        <OutcomeBanner
          outcome={outcome}
          draftYaml={draftYaml}
          onReapply={reapplyOnLatest}
          onDiscard={discardMine}
          readOnly={readOnly}
        />

        <div className="pe-layout">
          <div className="pe-main">
            <section className="panel form-panel" aria-labelledby="pe-policy-heading">
              <h2 id="pe-policy-heading">Policy</h2>
              <TargetFields
                kind={kind}
                name={draft.name}
                namespace={draft.namespace}
                onName={(name) => setDraft((d) => ({ ...d, name }))}
                onNamespace={(namespace) => setDraft((d) => ({ ...d, namespace }))}
                identityFixed={base !== null}
                targetRef={target}
                onTargetRef={setTargetRef}
                issues={issues}
                context={context}
                readOnly={readOnly || deleted}
              />
            </section>
            <section className="panel form-panel" aria-labelledby="pe-spec-heading">
              <h2 id="pe-spec-heading">{label.title}</h2>
              {editor ? (
                <editor.Form
                  spec={draft.spec}
                  onChange={setSpec}
                  issues={issues}
                  context={context}
                  readOnly={readOnly || deleted}
                />
              ) : (
                <div className="empty" data-test="editor-no-form">
                  The console has no form for {kind} yet: its YAML is on the right; change it with{' '}
                  <code>weft policy apply</code>.
                </div>
              )}
            </section>
          </div>

          <aside className="pe-review" aria-label="Review and apply">
            <section
              className="panel pe-issues"
              data-test="editor-issues"
              data-errors={counts.errors}
              data-warnings={counts.warnings}
            >
              <div className="pe-issues-head">
                <h2>Checks</h2>
                <span className="small" data-test="editor-check-status">
                  {counts.errors ? (
                    <span className="text-failing">
                      {counts.errors} error{counts.errors === 1 ? '' : 's'}
                    </span>
                  ) : null}
                  {counts.errors && counts.warnings ? ' · ' : null}
                  {counts.warnings ? (
                    <span className="pe-warning-text">
                      {counts.warnings} warning{counts.warnings === 1 ? '' : 's'}
                    </span>
                  ) : null}
                  {!counts.errors && !counts.warnings ? (
                    dryRun.status === 'checking' ? (
                      <span className="muted">checking…</span>
                    ) : dryRun.status === 'failed' ? (
                      <span className="muted">
                        schema OK; the control plane could not be asked: {dryRun.message}
                      </span>
                    ) : (
                      <span className="status-ok">✓ valid</span>
                    )
                  ) : null}
                </span>
              </div>
              {unplaced.length > 0 ? (
                <ul className="findings pe-unplaced">
                  {unplaced.map((issue, i) => (
                    <IssueLine key={`${issue.path}-${issue.code}-${i}`} issue={issue} path={issue.path} />
                  ))}
                </ul>
              ) : counts.errors || counts.warnings ? (
                <p className="small muted pe-help">Shown next to the fields they concern.</p>
              ) : null}
            </section>

            <ReviewPanel yaml={draftYaml} diff={diff} isNew={base === null} />

            <div className="panel pe-apply-bar">
              <button
                type="button"
                className="button primary"
                disabled={!canApply}
                onClick={() => void apply()}
                data-test="editor-apply"
                title={applyHint ?? undefined}
              >
                {applying ? 'Applying…' : base ? 'Apply' : 'Create'}
              </button>
              {applyHint ? (
                <span className="small muted" data-test="editor-apply-hint">
                  {applyHint}
                </span>
              ) : null}
              <span className="pe-spacer" />
              {base && !readOnly && !deleted ? (
                <ConfirmButton
                  label="Delete"
                  pendingLabel="Deleting…"
                  question={`Delete ${kind} ${base.resource.metadata.name}?`}
                  mutation={trpc.policies.delete.mutationOptions({
                    onSuccess: () => {
                      setDeleted(true);
                      void queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
                      router.push(backHref);
                    },
                  })}
                  variables={{
                    kind,
                    namespace: base.resource.metadata.namespace,
                    name: base.resource.metadata.name,
                    resourceVersion: base.resource.metadata.resourceVersion,
                  }}
                  testId="editor-delete"
                />
              ) : null}
            </div>
          </aside>
        </div>
      </div>
    </ShownPathsContext>
  );
}

function conditionLine(stored: StoredPolicy, type: string): string | null {
  const c = stored.conditions.find((x) => x.type === type);
  return c ? `${type}: ${c.status}${c.reason ? ` (${c.reason})` : ''}` : null;
}

function OutcomeBanner({
  outcome,
  draftYaml,
  onReapply,
  onDiscard,
  readOnly,
}: {
  outcome: Outcome | null;
  draftYaml: string;
  onReapply: (latest: StoredPolicy | null) => void;
  onDiscard: (latest: StoredPolicy | null) => void;
  readOnly: boolean;
}) {
  if (!outcome) return null;
  switch (outcome.type) {
    case 'applied': {
      const accepted = conditionLine(outcome.stored, 'Accepted');
      return (
        <div className="form-success pe-banner" role="status" data-test="editor-applied">
          <strong>{outcome.created ? 'Created' : 'Applied'}</strong> — resourceVersion{' '}
          {outcome.stored.resource.metadata.resourceVersion}
          {accepted ? ` · ${accepted}` : ''}. The proxies pick it up within seconds; watch the signals.
        </div>
      );
    }
    case 'refused':
      return (
        <div className="form-alert pe-banner" role="alert" data-test="editor-refused">
          <strong>Refused: nothing was written.</strong> Fix what the control plane found, then apply again.
          {outcome.findings.length ? (
            <ul className="findings pe-banner-list">
              {outcome.findings.map((f, i) => (
                <IssueLine key={`${f.code}-${i}`} issue={f} path={f.path} />
              ))}
            </ul>
          ) : (
            <div className="small">{outcome.message}</div>
          )}
        </div>
      );
    case 'forbidden':
      return (
        <div className="form-alert pe-banner" role="alert" data-test="editor-forbidden">
          <strong>Not allowed: nothing was written.</strong> {outcome.message}
        </div>
      );
    case 'failed':
      return (
        <div className="form-alert pe-banner" role="alert" data-test="editor-failed">
          <strong>Could not apply: nothing was written.</strong> {outcome.message}
        </div>
      );
    case 'conflict':
    case 'changed': {
      const latest = outcome.type === 'changed' ? outcome.latest : null;
      const diff = unifiedDiff(
        latest ? storedYaml(latest) : '',
        draftYaml,
        latest ? 'live now' : '/dev/null (deleted)',
        'this draft',
      );
      return (
        <div className="form-alert pe-banner pe-conflict" role="alert" data-test="editor-conflict">
          <div>
            <strong>
              {latest ? 'Changed by someone else meanwhile' : 'Deleted by someone else meanwhile'}
              {outcome.type === 'changed' && outcome.onApply ? ': nothing was written.' : '.'}
            </strong>{' '}
            {latest
              ? `${latest.updatedBy} changed it at ${formatDateTime(latest.updatedAtMs)}. Below, what applying your draft would now change.`
              : 'Applying your draft would create it again.'}
          </div>
          <DiffView diff={diff} empty="Your draft is what is live now." testId="editor-conflict-diff" />
          <div className="pe-conflict-actions">
            <button
              type="button"
              className="button primary"
              onClick={() => onReapply(latest)}
              disabled={readOnly}
              data-test="editor-reapply"
            >
              Reload and re-apply my change
            </button>
            <button
              type="button"
              className="button"
              onClick={() => onDiscard(latest)}
              data-test="editor-discard"
            >
              Discard my change
            </button>
          </div>
        </div>
      );
    }
  }
}
