'use client';
/**
 * CachePolicy: a shared HTTP cache (RFC 9111) in the callers' proxies. Responses are stored as their headers
 * allow; these fields bound the store and fill in what the headers leave open.
 */
import { POLICY_KINDS } from '@weft/schema';
import type { KindEditor, SpecFormProps } from '../contract.ts';
import { withField } from './convert.ts';
import { byteSize } from './number-edit.ts';
import { serviceTargetRef } from './target.ts';
import { DurationField, FieldRow, FormSection, MatchesEditor, NumberField, SpecForm } from './widgets.tsx';

const schema = POLICY_KINDS.CachePolicy.spec;
const showBytes = (n: number) => byteSize.format(n);

function CacheForm({ spec, onChange, issues, readOnly }: SpecFormProps<'CachePolicy'>) {
  return (
    <SpecForm schema={schema} issues={issues} readOnly={readOnly} testId="form-CachePolicy">
      <FormSection
        title="What is cached"
        description="Only responses to requests matching one of these are stored."
      >
        <MatchesEditor
          path="matches"
          matches={spec.matches}
          empty="Every cacheable response of the service is stored."
          onChange={(matches) => onChange(withField(spec, 'matches', matches))}
        />
      </FormSection>
      <FormSection title="Size" description="Least recently used entries are evicted first.">
        <FieldRow>
          <NumberField
            path="maxBytes"
            label="Cache size"
            unit=""
            hint="e.g. 64 MiB"
            codec={byteSize}
            showBound={showBytes}
            value={spec.maxBytes}
            onChange={(maxBytes) => onChange({ ...spec, maxBytes })}
          />
          <NumberField
            path="maxEntryBytes"
            label="Largest response stored"
            unit=""
            hint="larger ones pass through"
            codec={byteSize}
            showBound={showBytes}
            value={spec.maxEntryBytes}
            onChange={(maxEntryBytes) => onChange({ ...spec, maxEntryBytes })}
          />
        </FieldRow>
      </FormSection>
      <FormSection
        title="Freshness"
        description="For responses without an explicit lifetime: a share of the time since Last-Modified, capped (RFC 9111 §4.2.2)."
      >
        <FieldRow>
          <NumberField
            path="heuristicPercent"
            label="Heuristic freshness"
            unit="% of the age"
            hint="0 turns heuristics off"
            value={spec.heuristicPercent}
            onChange={(heuristicPercent) => onChange({ ...spec, heuristicPercent })}
          />
          <DurationField
            path="heuristicMax"
            label="At most"
            value={spec.heuristicMax}
            onChange={(heuristicMax) => onChange({ ...spec, heuristicMax })}
          />
        </FieldRow>
      </FormSection>
      <FormSection title="Serving stale" description="Only when the response allows it.">
        <FieldRow>
          <DurationField
            path="staleWhileRevalidate"
            label="Stale while revalidating"
            hint="served while a fresh copy is fetched"
            value={spec.staleWhileRevalidate}
            onChange={(v) => onChange(withField(spec, 'staleWhileRevalidate', v))}
          />
          <DurationField
            path="staleIfError"
            label="Stale if error"
            hint="served when the service fails"
            value={spec.staleIfError}
            onChange={(v) => onChange(withField(spec, 'staleIfError', v))}
          />
        </FieldRow>
      </FormSection>
    </SpecForm>
  );
}

export const cacheEditor: KindEditor<'CachePolicy'> = {
  kind: 'CachePolicy',
  title: 'Caching',
  summary:
    'Serve repeated reads from a shared cache in the callers’ proxies, as the responses’ headers allow.',
  initialSpec: (context) => ({
    targetRef: serviceTargetRef(context),
    matches: [{ path: { type: 'PathPrefix', value: '/' }, method: 'GET' }],
    // The schema's own bounds: 64 MiB in all, 1 MiB per entry, 10 % heuristic freshness up to 1h.
    ...schema.omit({ targetRef: true, matches: true }).parse({}),
  }),
  Form: CacheForm,
};
