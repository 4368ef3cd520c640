'use client';
/** FaultInjectionPolicy: delay or abort a share of the matching requests, in the caller's proxy. */
import { POLICY_KINDS, type FaultInjectionPolicySpec } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { withField } from './convert.ts';
import { percent } from './number-edit.ts';
import { serviceTargetRef } from './target.ts';
import {
  DurationField,
  FieldRow,
  FormSection,
  MatchesEditor,
  NumberField,
  OptionalBlock,
  SpecForm,
} from './widgets.tsx';

type Delay = NonNullable<FaultInjectionPolicySpec['delay']>;
type Abort = NonNullable<FaultInjectionPolicySpec['abort']>;

export function newDelay(): Delay {
  return { percentage: 10, duration: '100ms' };
}
export function newAbort(): Abort {
  return { percentage: 5, status: 503 };
}

const schema = POLICY_KINDS.FaultInjectionPolicy.spec;

function FaultInjectionForm({ spec, onChange, issues, readOnly }: SpecFormProps<'FaultInjectionPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-FaultInjectionPolicy">
      <FormSection
        title="Faults"
        description="Injected by the caller's proxy before the request leaves it. Set a delay, an abort or both."
      >
        <OptionalBlock
          path="delay"
          title="Delay requests"
          description="hold a share of the requests before sending them on"
          value={spec.delay}
          create={newDelay}
          onChange={(delay) => onChange(withField(spec, 'delay', delay))}
        >
          {(delay) => (
            <FieldRow>
              <NumberField
                path="delay.percentage"
                label="Share delayed"
                unit="% of requests"
                hint="fractions allowed"
                codec={percent}
                value={delay.percentage}
                onChange={(percentage) => onChange({ ...spec, delay: { ...delay, percentage } })}
              />
              <DurationField
                path="delay.duration"
                label="Delay"
                value={delay.duration}
                onChange={(duration) => onChange({ ...spec, delay: { ...delay, duration } })}
              />
            </FieldRow>
          )}
        </OptionalBlock>
        <OptionalBlock
          path="abort"
          title="Abort requests"
          description="answer a share of the requests with an error status, without sending them"
          value={spec.abort}
          create={newAbort}
          onChange={(abort) => onChange(withField(spec, 'abort', abort))}
        >
          {(abort) => (
            <FieldRow>
              <NumberField
                path="abort.percentage"
                label="Share aborted"
                unit="% of requests"
                hint="fractions allowed"
                codec={percent}
                value={abort.percentage}
                onChange={(percentage) => onChange({ ...spec, abort: { ...abort, percentage } })}
              />
              <NumberField
                path="abort.status"
                label="Status"
                unit="HTTP status"
                value={abort.status}
                onChange={(status) => onChange({ ...spec, abort: { ...abort, status } })}
              />
            </FieldRow>
          )}
        </OptionalBlock>
      </FormSection>
      <FormSection title="Routes" description="Faults apply only to requests matching one of these.">
        <MatchesEditor
          path="matches"
          matches={spec.matches}
          empty="Every request to the service can be hit."
          onChange={(matches) => onChange(withField(spec, 'matches', matches))}
        />
      </FormSection>
    </SpecForm>
  );
}

export const faultInjectionEditor: KindEditor<'FaultInjectionPolicy'> = {
  kind: 'FaultInjectionPolicy',
  title: 'Fault injection',
  summary:
    'Delay or fail a share of the requests on purpose, to watch retries, timeouts and breakers at work.',
  initialSpec: (context) => ({ targetRef: serviceTargetRef(context), delay: newDelay() }),
  Form: FaultInjectionForm,
};
