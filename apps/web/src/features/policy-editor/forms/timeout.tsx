'use client';
/** TimeoutPolicy: a deadline for the whole request, for each try, and for idle connections. */
import { POLICY_KINDS } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { withField } from './convert.ts';
import { serviceTargetRef } from './target.ts';
import { DurationField, FieldRow, FormSection, SpecForm } from './widgets.tsx';

const schema = POLICY_KINDS.TimeoutPolicy.spec;

function TimeoutForm({ spec, onChange, issues, readOnly }: SpecFormProps<'TimeoutPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-TimeoutPolicy">
      <FormSection
        title="Timeouts"
        description="Set at least one. A request that runs out of time is answered 504 by the caller's proxy."
      >
        <FieldRow>
          <DurationField
            path="request"
            label="Request"
            hint="the whole exchange: retries and the response body included"
            value={spec.request}
            onChange={(request) => onChange(withField(spec, 'request', request))}
          />
          <DurationField
            path="perTry"
            label="Per try"
            hint="how long one try may wait for response headers; at most the request timeout"
            value={spec.perTry}
            onChange={(perTry) => onChange(withField(spec, 'perTry', perTry))}
          />
          <DurationField
            path="idle"
            label="Idle"
            hint="the longest silence allowed while a response streams"
            value={spec.idle}
            onChange={(idle) => onChange(withField(spec, 'idle', idle))}
          />
        </FieldRow>
      </FormSection>
    </SpecForm>
  );
}

export const timeoutEditor: KindEditor<'TimeoutPolicy'> = {
  kind: 'TimeoutPolicy',
  title: 'Timeouts',
  summary: 'Fail fast instead of waiting: a deadline per request, per try and for idle connections.',
  initialSpec: (context) => ({ targetRef: serviceTargetRef(context), request: '10s' }),
  Form: TimeoutForm,
};
