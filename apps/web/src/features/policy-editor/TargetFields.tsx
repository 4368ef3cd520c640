'use client';
/**
 * The part every kind shares: the policy's name and namespace (fixed once it exists: they are its identity)
 * and what it targets (GEP-713): a Service of the namespace, optionally one named route rule of it, or an
 * HTTPRoute and one of its rules where the kind allows a route.
 */
import { GATEWAY_GROUP, type PolicyKind, type TargetRef } from '@weft/schema';
import type { EditorContext, FieldIssues } from './contract.ts';
import { FieldIssueList, IssueField, issueProps } from './FieldIssueList.tsx';
import { kindAllowsRouteTarget } from './kinds.ts';

export function targetRefOf(spec: unknown): Partial<TargetRef> {
  if (spec === null || typeof spec !== 'object') return {};
  const ref = (spec as { targetRef?: unknown }).targetRef;
  return ref !== null && typeof ref === 'object' ? ref : {};
}

/** The target with its group matching its kind ("" for Service, Gateway API's for HTTPRoute). */
function withGroup(ref: Partial<TargetRef>): TargetRef {
  const kind = ref.kind ?? 'Service';
  const out: TargetRef = { group: kind === 'HTTPRoute' ? GATEWAY_GROUP : '', kind, name: ref.name ?? '' };
  if (ref.sectionName) out.sectionName = ref.sectionName;
  return out;
}

export function TargetFields({
  kind,
  name,
  namespace,
  onName,
  onNamespace,
  identityFixed,
  targetRef,
  onTargetRef,
  issues,
  context,
  readOnly,
}: {
  kind: PolicyKind;
  name: string;
  namespace: string;
  onName: (name: string) => void;
  onNamespace: (namespace: string) => void;
  identityFixed: boolean;
  targetRef: Partial<TargetRef>;
  onTargetRef: (ref: TargetRef) => void;
  issues: FieldIssues;
  context: EditorContext;
  readOnly: boolean;
}) {
  const routes = kindAllowsRouteTarget(kind);
  const targetKind = targetRef.kind ?? 'Service';
  const services = [
    ...new Set([
      ...context.services,
      ...(targetRef.name && targetKind === 'Service' ? [targetRef.name] : []),
    ]),
  ].sort();
  const set = (patch: Partial<TargetRef>) => onTargetRef(withGroup({ ...targetRef, ...patch }));

  return (
    <div className="pe-target" data-test="editor-target">
      <div className="form-row">
        <IssueField
          label="Name"
          path="metadata.name"
          issues={issues}
          className="grow"
          hint={
            identityFixed ? 'A policy keeps its name; delete it and create another to rename.' : undefined
          }
        >
          <input
            className="input"
            value={name}
            disabled={readOnly || identityFixed}
            onChange={(e) => onName(e.target.value)}
            spellCheck={false}
            data-test="editor-name"
            {...issueProps(issues, 'metadata.name')}
          />
        </IssueField>
        <IssueField label="Namespace" path="metadata.namespace" issues={issues}>
          <input
            className="input"
            value={namespace}
            disabled={readOnly || identityFixed}
            onChange={(e) => onNamespace(e.target.value)}
            spellCheck={false}
            data-test="editor-namespace"
            {...issueProps(issues, 'metadata.namespace')}
          />
        </IssueField>
      </div>
      <div className="form-row pe-target-row">
        <IssueField label="Target" path="spec.targetRef.kind" issues={issues} className="narrow-field">
          <select
            className="input"
            value={targetKind}
            disabled={readOnly || (!routes && targetKind === 'Service')}
            onChange={(e) =>
              set({ kind: e.target.value as TargetRef['kind'], name: '', sectionName: undefined })
            }
            data-test="editor-target-kind"
            {...issueProps(issues, 'spec.targetRef.kind')}
          >
            <option value="Service">Service</option>
            {routes || targetKind === 'HTTPRoute' ? <option value="HTTPRoute">HTTPRoute</option> : null}
          </select>
        </IssueField>
        {targetKind === 'Service' ? (
          <IssueField label="Service" path="spec.targetRef.name" issues={issues}>
            <select
              className="input"
              value={targetRef.name ?? ''}
              disabled={readOnly}
              onChange={(e) => set({ name: e.target.value })}
              data-test="editor-target-service"
              {...issueProps(issues, 'spec.targetRef.name')}
            >
              {targetRef.name ? null : <option value="">Choose a service…</option>}
              {services.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </IssueField>
        ) : (
          <IssueField label="HTTPRoute" path="spec.targetRef.name" issues={issues}>
            <input
              className="input"
              value={targetRef.name ?? ''}
              disabled={readOnly}
              onChange={(e) => set({ name: e.target.value })}
              spellCheck={false}
              placeholder="route name"
              data-test="editor-target-route"
              {...issueProps(issues, 'spec.targetRef.name')}
            />
          </IssueField>
        )}
        {routes || targetRef.sectionName ? (
          <IssueField
            label={targetKind === 'Service' ? 'Route rule (optional)' : 'Rule (optional)'}
            path="spec.targetRef.sectionName"
            issues={issues}
            hint="A named rule of an HTTPRoute; empty: all requests"
          >
            <input
              className="input"
              value={targetRef.sectionName ?? ''}
              disabled={readOnly}
              onChange={(e) => set({ sectionName: e.target.value || undefined })}
              spellCheck={false}
              placeholder="all"
              data-test="editor-target-section"
              {...issueProps(issues, 'spec.targetRef.sectionName')}
            />
          </IssueField>
        ) : null}
      </div>
      <FieldIssueList issues={issues} path="spec.targetRef" />
      <FieldIssueList issues={issues} path="spec.targetRef.group" />
    </div>
  );
}
