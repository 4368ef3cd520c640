'use client';
/** MirrorPolicy: copy a share of the requests to another version or service; the copies' answers are dropped. */
import { POLICY_KINDS, type MirrorPolicySpec } from '@weft/schema';
import type { EditorContext, KindEditor, SpecFormProps } from '../contract.ts';
import { optionalText, withField } from './convert.ts';
import { byteSize, percent } from './number-edit.ts';
import { serviceTargetRef } from './target.ts';
import { FieldRow, FormSection, MatchesEditor, NumberField, SpecForm, TextField } from './widgets.tsx';

const schema = POLICY_KINDS.MirrorPolicy.spec;

/**
 * Versions offered for the mirror backend: the target's own versions (newest first, the usual dark-launch
 * target) when the copies stay in the target service; none are known for another service.
 */
export function mirrorVersionChoices(spec: MirrorPolicySpec, context: EditorContext): string[] {
  const sameService =
    (spec.backend.service === undefined || spec.backend.service === context.service) &&
    (spec.backend.namespace === undefined || spec.backend.namespace === context.namespace);
  return sameService ? [...context.versions].reverse() : [];
}

function MirrorForm({ spec, onChange, issues, context, readOnly }: SpecFormProps<'MirrorPolicy'>) {
  const backend = spec.backend;
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-MirrorPolicy">
      <FormSection
        title="Copy to"
        path="backend"
        description="Another version of this service (a dark launch), or another service. Callers still get the original's answer."
      >
        <FieldRow>
          <TextField
            path="backend.service"
            label="Service"
            value={backend.service}
            placeholder={context.service ?? ''}
            hint="empty: this service"
            suggestions={context.services}
            onChange={(service) =>
              onChange({ ...spec, backend: withField(backend, 'service', optionalText(service ?? '')) })
            }
          />
          <TextField
            path="backend.namespace"
            label="Namespace"
            value={backend.namespace}
            placeholder={context.namespace}
            hint="empty: the policy's"
            onChange={(namespace) =>
              onChange({ ...spec, backend: withField(backend, 'namespace', optionalText(namespace ?? '')) })
            }
          />
          <TextField
            path="backend.version"
            label="Version"
            value={backend.version}
            hint="empty: any version"
            suggestions={mirrorVersionChoices(spec, context)}
            onChange={(version) =>
              onChange({ ...spec, backend: withField(backend, 'version', optionalText(version ?? '')) })
            }
          />
        </FieldRow>
      </FormSection>
      <FormSection title="How much">
        <FieldRow>
          <NumberField
            path="percentage"
            label="Share copied"
            unit="% of requests"
            hint="fractions allowed"
            codec={percent}
            value={spec.percentage}
            onChange={(percentage) => onChange({ ...spec, percentage })}
          />
          <NumberField
            path="maxBodyBytes"
            label="Largest body copied"
            unit=""
            hint="e.g. 64 KiB; larger requests are not mirrored"
            codec={byteSize}
            showBound={(n) => byteSize.format(n)}
            value={spec.maxBodyBytes}
            onChange={(maxBodyBytes) => onChange({ ...spec, maxBodyBytes })}
          />
        </FieldRow>
      </FormSection>
      <FormSection title="Routes" description="Only requests matching one of these are copied.">
        <MatchesEditor
          path="matches"
          matches={spec.matches}
          empty="Every request can be copied."
          onChange={(matches) => onChange(withField(spec, 'matches', matches))}
        />
      </FormSection>
    </SpecForm>
  );
}

export const mirrorEditor: KindEditor<'MirrorPolicy'> = {
  kind: 'MirrorPolicy',
  title: 'Mirroring',
  summary: 'Copy a share of live requests to another version or service and discard its answers.',
  initialSpec: (context) => {
    // Dark-launch the newest version when there are several; else leave the backend for the user to name.
    const newest = context.versions.length > 1 ? context.versions.at(-1) : undefined;
    return {
      targetRef: serviceTargetRef(context),
      backend: newest === undefined ? {} : { version: newest },
      percentage: 10,
      maxBodyBytes: schema.shape.maxBodyBytes.parse(undefined),
    };
  },
  Form: MirrorForm,
};
