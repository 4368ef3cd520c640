'use client';
/** RetryPolicy: how many tries, on which failures, with what backoff, within a retry budget. */
import { POLICY_KINDS, RETRY_ON, type RetryPolicySpec } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { formatCount, ratioToPercent, withField } from './convert.ts';
import { percentOfRatio } from './number-edit.ts';
import { serviceTargetRef } from './target.ts';
import {
  CheckboxField,
  ChoiceGroup,
  DurationField,
  FieldRow,
  FormSection,
  NumberField,
  SpecForm,
} from './widgets.tsx';

type RetryOn = RetryPolicySpec['retryOn'][number];

const RETRY_ON_MEANING: Record<RetryOn, string> = {
  'connect-failure': 'the connection could not be opened',
  reset: 'the connection broke before a response',
  'gateway-error': 'a 502, 503 or 504 response',
  '5xx': 'any 5xx response',
  '502': 'Bad Gateway',
  '503': 'Service Unavailable',
  '504': 'Gateway Timeout',
};

/** The retry conditions after ticking or unticking one, in RETRY_ON's order (so the YAML is stable). */
export function toggleRetryOn(current: readonly RetryOn[], option: RetryOn, on: boolean): RetryOn[] {
  const next = new Set(current);
  if (on) next.add(option);
  else next.delete(option);
  return RETRY_ON.filter((o) => next.has(o));
}

const schema = POLICY_KINDS.RetryPolicy.spec;
const showPercent = (ratio: number) => formatCount(ratioToPercent(ratio));

function RetryForm({ spec, onChange, issues, readOnly }: SpecFormProps<'RetryPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-RetryPolicy">
      <FormSection title="Attempts">
        <FieldRow>
          <NumberField
            path="attempts"
            label="Attempts"
            unit="tries"
            hint="the first try included: 2 means one retry"
            value={spec.attempts}
            onChange={(attempts) => onChange({ ...spec, attempts })}
          />
          <DurationField
            path="perTryTimeout"
            label="Per-try timeout"
            hint="each try is cut off after this"
            value={spec.perTryTimeout}
            onChange={(perTryTimeout) => onChange(withField(spec, 'perTryTimeout', perTryTimeout))}
          />
        </FieldRow>
        <ChoiceGroup
          path="retryOn"
          label="Retry on"
          type="checkbox"
          options={RETRY_ON}
          describe={(o) => RETRY_ON_MEANING[o as RetryOn]}
          isChecked={(o) => spec.retryOn.includes(o as RetryOn)}
          onToggle={(o, on) => onChange({ ...spec, retryOn: toggleRetryOn(spec.retryOn, o as RetryOn, on) })}
          hint="at least one"
        />
        <CheckboxField
          path="nonIdempotent"
          label="Retry non-idempotent requests too (POST, PATCH)"
          hint="only if the service tolerates a request arriving twice"
          checked={spec.nonIdempotent}
          onChange={(nonIdempotent) => onChange({ ...spec, nonIdempotent })}
        />
      </FormSection>
      <FormSection
        title="Backoff"
        path="backoff"
        description="The wait before each retry grows exponentially from the base up to the max, partly randomised."
      >
        <FieldRow>
          <DurationField
            path="backoff.base"
            label="Base"
            value={spec.backoff.base}
            onChange={(base) => onChange({ ...spec, backoff: { ...spec.backoff, base } })}
          />
          <DurationField
            path="backoff.max"
            label="Max"
            value={spec.backoff.max}
            onChange={(max) => onChange({ ...spec, backoff: { ...spec.backoff, max } })}
          />
          <NumberField
            path="backoff.jitter"
            label="Jitter"
            unit="% of each wait"
            hint="randomised"
            codec={percentOfRatio}
            showBound={showPercent}
            value={spec.backoff.jitter}
            onChange={(jitter) => onChange({ ...spec, backoff: { ...spec.backoff, jitter } })}
          />
        </FieldRow>
      </FormSection>
      <FormSection
        title="Retry budget"
        path="budget"
        description="Retries may add at most this share of the original requests, plus a few per second, so a failing service is not flooded."
      >
        <FieldRow>
          <NumberField
            path="budget.ratio"
            label="Budget"
            unit="% of requests"
            codec={percentOfRatio}
            showBound={showPercent}
            value={spec.budget.ratio}
            onChange={(ratio) => onChange({ ...spec, budget: { ...spec.budget, ratio } })}
          />
          <NumberField
            path="budget.minPerSecond"
            label="Always allowed"
            unit="retries per second"
            value={spec.budget.minPerSecond}
            onChange={(minPerSecond) => onChange({ ...spec, budget: { ...spec.budget, minPerSecond } })}
          />
        </FieldRow>
      </FormSection>
    </SpecForm>
  );
}

export const retryEditor: KindEditor<'RetryPolicy'> = {
  kind: 'RetryPolicy',
  title: 'Retries',
  summary:
    'Retry failed requests with exponential backoff, within a budget that keeps retries from piling up.',
  initialSpec: (context) => ({
    targetRef: serviceTargetRef(context),
    attempts: 2,
    // The schema's defaults: 25ms–250ms, half of each wait randomised; 20 % + 10/s.
    backoff: schema.shape.backoff.parse(undefined),
    retryOn: toggleRetryOn(['5xx', 'gateway-error'], 'connect-failure', true),
    nonIdempotent: false,
    budget: schema.shape.budget.parse(undefined),
  }),
  Form: RetryForm,
};
