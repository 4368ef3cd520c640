'use client';
/**
 * CircuitBreakerPolicy: outlier detection (eject an instance that keeps failing, for a while) and limits on
 * connections, queued requests and requests in flight to the whole service.
 */
import { POLICY_KINDS, type CircuitBreakerPolicySpec } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { withField } from './convert.ts';
import { serviceTargetRef } from './target.ts';
import { DurationField, FieldRow, FormSection, NumberField, OptionalBlock, SpecForm } from './widgets.tsx';

const schema = POLICY_KINDS.CircuitBreakerPolicy.spec;
/** New blocks take the schema's defaults (ejection time, max ejected, window…) by parsing. */
const outlierSchema = schema.shape.outlierDetection.unwrap();

type OutlierDetection = NonNullable<CircuitBreakerPolicySpec['outlierDetection']>;
type FailurePercentage = NonNullable<OutlierDetection['failurePercentage']>;
type Limits = NonNullable<CircuitBreakerPolicySpec['limits']>;

/** Outlier detection as it starts when switched on: 5 consecutive 5xx eject an instance. */
export function newOutlierDetection(): OutlierDetection {
  return outlierSchema.parse({ consecutive5xx: 5 });
}

/** Failure-percentage ejection at half the requests failing, with the schema's window and minimum. */
export function newFailurePercentage(): FailurePercentage {
  return outlierSchema.shape.failurePercentage.unwrap().parse({ threshold: 50 });
}

function OutlierFields({ od, onChange }: { od: OutlierDetection; onChange: (od: OutlierDetection) => void }) {
  return (
    <>
      <FieldRow>
        <NumberField
          path="outlierDetection.consecutive5xx"
          label="5xx in a row"
          unit="responses"
          hint="empty: not counted"
          value={od.consecutive5xx}
          onChange={(consecutive5xx) => onChange(withField(od, 'consecutive5xx', consecutive5xx))}
        />
        <NumberField
          path="outlierDetection.consecutiveGatewayErrors"
          label="Gateway errors in a row"
          unit="502/503/504 or failed connections"
          hint="empty: not counted"
          value={od.consecutiveGatewayErrors}
          onChange={(n) => onChange(withField(od, 'consecutiveGatewayErrors', n))}
        />
      </FieldRow>
      <FieldRow>
        <DurationField
          path="outlierDetection.baseEjectionTime"
          label="Base ejection time"
          hint="grows with each ejection of the same instance"
          value={od.baseEjectionTime}
          onChange={(baseEjectionTime) => onChange({ ...od, baseEjectionTime })}
        />
        <NumberField
          path="outlierDetection.maxEjectionPercent"
          label="Max ejected"
          unit="% of instances"
          value={od.maxEjectionPercent}
          onChange={(maxEjectionPercent) => onChange({ ...od, maxEjectionPercent })}
        />
      </FieldRow>
      <OptionalBlock
        path="outlierDetection.failurePercentage"
        title="Eject on failure percentage"
        description="an instance whose share of failed requests in a window reaches the threshold is ejected"
        value={od.failurePercentage}
        create={newFailurePercentage}
        onChange={(fp) => onChange(withField(od, 'failurePercentage', fp))}
      >
        {(fp) => (
          <FieldRow>
            <NumberField
              path="outlierDetection.failurePercentage.threshold"
              label="Threshold"
              unit="% failed"
              value={fp.threshold}
              onChange={(threshold) => onChange({ ...od, failurePercentage: { ...fp, threshold } })}
            />
            <DurationField
              path="outlierDetection.failurePercentage.interval"
              label="Window"
              value={fp.interval}
              onChange={(interval) => onChange({ ...od, failurePercentage: { ...fp, interval } })}
            />
            <NumberField
              path="outlierDetection.failurePercentage.minimumRequests"
              label="Minimum requests"
              unit="per window"
              hint="fewer: the instance is not judged"
              value={fp.minimumRequests}
              onChange={(minimumRequests) =>
                onChange({ ...od, failurePercentage: { ...fp, minimumRequests } })
              }
            />
          </FieldRow>
        )}
      </OptionalBlock>
    </>
  );
}

function LimitFields({ limits, onChange }: { limits: Limits; onChange: (limits: Limits) => void }) {
  return (
    <FieldRow>
      <NumberField
        path="limits.maxConnections"
        label="Max connections"
        unit="connections"
        hint="empty: no limit"
        value={limits.maxConnections}
        onChange={(n) => onChange(withField(limits, 'maxConnections', n))}
      />
      <NumberField
        path="limits.maxPendingRequests"
        label="Max pending requests"
        unit="waiting for a connection"
        hint="empty: no limit"
        value={limits.maxPendingRequests}
        onChange={(n) => onChange(withField(limits, 'maxPendingRequests', n))}
      />
      <NumberField
        path="limits.maxRequests"
        label="Max requests in flight"
        unit="requests"
        hint="empty: no limit"
        value={limits.maxRequests}
        onChange={(n) => onChange(withField(limits, 'maxRequests', n))}
      />
    </FieldRow>
  );
}

function CircuitBreakerForm({ spec, onChange, issues, readOnly }: SpecFormProps<'CircuitBreakerPolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-CircuitBreakerPolicy">
      <FormSection
        title="Circuit breaking"
        path=""
        description="Applies in every caller's proxy to the whole service. Set outlier detection, limits or both."
      >
        <OptionalBlock
          path="outlierDetection"
          title="Outlier detection"
          description="take an instance that keeps failing out of the balancer for a while"
          value={spec.outlierDetection}
          create={newOutlierDetection}
          onChange={(od) => onChange(withField(spec, 'outlierDetection', od))}
        >
          {(od) => (
            <OutlierFields od={od} onChange={(next) => onChange({ ...spec, outlierDetection: next })} />
          )}
        </OptionalBlock>
        <OptionalBlock
          path="limits"
          title="Limits"
          description="requests beyond a limit are refused with 503 at once instead of queueing"
          value={spec.limits}
          create={() => ({ maxRequests: 1024 })}
          onChange={(limits) => onChange(withField(spec, 'limits', limits))}
        >
          {(limits) => (
            <LimitFields limits={limits} onChange={(next) => onChange({ ...spec, limits: next })} />
          )}
        </OptionalBlock>
      </FormSection>
    </SpecForm>
  );
}

export const circuitBreakerEditor: KindEditor<'CircuitBreakerPolicy'> = {
  kind: 'CircuitBreakerPolicy',
  title: 'Circuit breaker',
  summary:
    'Eject failing instances and cap connections and requests, so one bad instance cannot take callers down.',
  initialSpec: (context) => ({
    targetRef: serviceTargetRef(context),
    outlierDetection: newOutlierDetection(),
  }),
  Form: CircuitBreakerForm,
};
