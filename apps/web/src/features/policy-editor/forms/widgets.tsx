'use client';
/**
 * The pieces every per-kind form is built from. A field is named by its dotted path in the spec
 * ("rules.0.limit.requests"): the path gives its `data-test` (`field-<path>`), its issues
 * (`issues.get("spec.<path>")`) and its limits and default, read from the kind's zod schema, so a form only
 * says what the field is called and how to read and write its value.
 */
import { createContext, useContext, useId, useState, type ReactNode, type SelectHTMLAttributes } from 'react';
import type { RouteMatch } from '@weft/schema';
import type { z } from 'zod';
import type { FieldIssue, FieldIssues } from '../contract.ts';
import { FieldIssueList } from '../FieldIssueList.tsx';
import { issueListId, issuesAt } from '../issues.ts';
import {
  formatCount,
  listTestId,
  moveItem,
  optionalList,
  optionalText,
  removeItem,
  replaceItem,
  withField,
} from './convert.ts';
import { numberEdit, plainNumber, textShows, type NumberCodec } from './number-edit.ts';
import { fieldFacts, rangeHint, type FieldFacts } from './schema-path.ts';
import './forms.css';

/* ---------- scope: what every field of one form shares ---------- */

interface FormScopeValue {
  /** The kind's spec schema (POLICY_KINDS[kind].spec). */
  schema: z.ZodType;
  issues: FieldIssues;
  readOnly: boolean;
}

const FormScopeContext = createContext<FormScopeValue | null>(null);

/** Wraps a kind's form: its fields find their schema, issues and read-only state here. */
export function SpecForm({
  schema,
  issues,
  readOnly,
  testId,
  children,
}: FormScopeValue & { testId: string; children: ReactNode }) {
  return (
    <FormScopeContext.Provider value={{ schema, issues, readOnly }}>
      <div className="pe-spec-form" data-test={testId} data-readonly={readOnly || undefined}>
        {children}
      </div>
    </FormScopeContext.Provider>
  );
}

function useFormScope(): FormScopeValue {
  const scope = useContext(FormScopeContext);
  if (!scope) throw new Error('policy form fields must be rendered inside <SpecForm>');
  return scope;
}

export function useFacts(path: string): FieldFacts {
  return fieldFacts(useFormScope().schema, path);
}

/* ---------- issues ---------- */

/** The resource path of a spec path: "rules.0.name" → "spec.rules.0.name", "" → "spec". */
export function specPath(path: string): string {
  return path === '' ? 'spec' : `spec.${path}`;
}

/** The issues placed at one spec path (exactly there). */
export function issuesFor(issues: FieldIssues, path: string): readonly FieldIssue[] {
  return issuesAt(issues, specPath(path));
}

/** Issues about a whole block ("spec.ringHash", "spec.backend", one list item), shown at its top. */
export function PathIssues({ path }: { path: string }) {
  const { issues } = useFormScope();
  return <FieldIssueList issues={issues} path={specPath(path)} />;
}

/** aria-describedby for a control: its hint, its own error, and its issue list when there is one. */
function describedBy(ids: (string | false | undefined)[]): string | undefined {
  const present = ids.filter((id): id is string => typeof id === 'string' && id !== '');
  return present.length ? present.join(' ') : undefined;
}

/* ---------- one labelled field ---------- */

/** The attributes a field's control gets from its frame. */
export interface ControlProps {
  id: string;
  disabled: boolean;
  'aria-invalid': boolean | undefined;
  'aria-describedby': string | undefined;
  'data-test': string;
}

interface FrameProps {
  path: string;
  label: string;
  /** Unit and limits, or what the field does. */
  hint?: ReactNode;
  /** A problem with the text that never reached the spec ("enter a number"). */
  localError?: string | undefined;
  /** "wide" for paths and names, "narrow" for small numbers. */
  size?: 'narrow' | 'wide';
  children: (control: ControlProps) => ReactNode;
}

export function FieldFrame({ path, label, hint, localError, size, children }: FrameProps) {
  const { issues, readOnly } = useFormScope();
  const id = useId();
  const fieldIssues = issuesFor(issues, path);
  const invalid = localError !== undefined || fieldIssues.some((i) => i.severity === 'error');
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const sizeClass = size === 'wide' ? ' grow' : size === 'narrow' ? ' narrow-field' : '';
  return (
    <div className={`field${invalid ? ' invalid' : ''}${sizeClass}`} data-field={path}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({
        id,
        disabled: readOnly,
        'aria-invalid': invalid || undefined,
        'aria-describedby': describedBy([
          localError !== undefined && errorId,
          fieldIssues.length > 0 && issueListId(specPath(path)),
          Boolean(hint) && hintId,
        ]),
        'data-test': `field-${path}`,
      })}
      {localError ? (
        <span className="field-error" id={errorId}>
          {localError}
        </span>
      ) : null}
      {hint ? (
        <span className="field-hint" id={hintId}>
          {hint}
        </span>
      ) : null}
      <FieldIssueList issues={issues} path={specPath(path)} />
    </div>
  );
}

function joinHints(...parts: (ReactNode | undefined)[]): ReactNode {
  const present = parts.filter((p) => p !== undefined && p !== '' && p !== null);
  if (present.every((p) => typeof p === 'string')) return present.join('; ');
  return present.map((p, i) => (
    <span key={i}>
      {i ? '; ' : ''}
      {p}
    </span>
  ));
}

/* ---------- numbers ---------- */

/**
 * A numeric field. The input keeps the user's text; the spec gets a number as soon as the text is one (out of
 * range too: the schema's issue then shows under the field), nothing while it is not, and on leaving the field
 * the text snaps back to what the spec holds, so what is shown is what will be written.
 * `V` is `number` for a required or defaulted field (the widget never writes undefined then).
 */
export function NumberField<V extends number | undefined>({
  path,
  label,
  value,
  onChange,
  unit = '',
  hint,
  codec = plainNumber,
  showBound,
  placeholder,
  size = 'narrow',
}: {
  path: string;
  label: string;
  value: V;
  onChange: (value: V) => void;
  /** Shown after the range in the hint: "requests", "%", "ms". */
  unit?: string;
  hint?: ReactNode;
  codec?: NumberCodec;
  /** How a bound from the schema reads in the hint (a ratio field shows 0–100 %, not 0–1). */
  showBound?: (value: number) => string;
  placeholder?: string;
  size?: 'narrow' | 'wide';
}) {
  const facts = useFacts(path);
  const [text, setText] = useState(() => codec.format(value));
  const [synced, setSynced] = useState<number | undefined>(value);
  const [localError, setLocalError] = useState<string | undefined>(undefined);
  // The spec changed from outside (reset, revert, another field): show it, unless the text already means it.
  if (!Object.is(synced, value)) {
    setSynced(value);
    if (!textShows(text, value, codec, facts)) {
      setText(codec.format(value));
      setLocalError(undefined);
    }
  }
  const edit = (next: string) => {
    setText(next);
    const result = numberEdit(next, codec, facts);
    if (result.write) {
      setLocalError(undefined);
      if (!Object.is(result.value, value)) onChange(result.value as V);
    } else {
      setLocalError(result.error);
    }
  };
  const range = rangeHint(facts, unit, showBound ?? formatCount);
  return (
    <FieldFrame path={path} label={label} hint={joinHints(range, hint)} localError={localError} size={size}>
      {(control) => (
        <input
          {...control}
          className="input"
          inputMode="decimal"
          autoComplete="off"
          value={text}
          placeholder={
            placeholder ?? (typeof facts.defaultValue === 'number' ? codec.format(facts.defaultValue) : '')
          }
          onChange={(e) => edit(e.target.value)}
          onBlur={() => {
            setText(codec.format(value));
            setLocalError(undefined);
          }}
        />
      )}
    </FieldFrame>
  );
}

/* ---------- text, durations, choices ---------- */

/**
 * A text field. Optional fields (`V` includes undefined) are removed from the spec when emptied; required
 * ones are written as typed, and the schema says what is wrong with them.
 */
export function TextField<V extends string | undefined>({
  path,
  label,
  value,
  onChange,
  hint,
  placeholder,
  suggestions,
  size,
  mono,
  showLength = true,
}: {
  path: string;
  label: string;
  value: V;
  onChange: (value: V) => void;
  hint?: ReactNode;
  placeholder?: string;
  /** The schema's maximum length in the hint (off where the format says more, as for durations). */
  showLength?: boolean;
  /** Offered in a drop-down while typing (services, versions); any other text is allowed. */
  suggestions?: readonly string[];
  size?: 'narrow' | 'wide';
  mono?: boolean;
}) {
  const facts = useFacts(path);
  const listId = useId();
  const lengthHint =
    facts.max !== undefined && showLength ? `at most ${formatCount(facts.max)} characters` : undefined;
  return (
    <FieldFrame path={path} label={label} hint={joinHints(hint, lengthHint)} size={size}>
      {(control) => (
        <>
          <input
            {...control}
            className={`input${mono ? ' mono' : ''}`}
            autoComplete="off"
            spellCheck={false}
            value={value ?? ''}
            placeholder={placeholder ?? (typeof facts.defaultValue === 'string' ? facts.defaultValue : '')}
            list={suggestions?.length ? listId : undefined}
            onChange={(e) => onChange((facts.optional ? optionalText(e.target.value) : e.target.value) as V)}
          />
          {suggestions?.length ? (
            <datalist id={listId}>
              {suggestions.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          ) : null}
        </>
      )}
    </FieldFrame>
  );
}

/** A GEP-2257 duration ("500ms", "2s", "1m30s"), kept as text: that is how the spec stores it. */
export function DurationField<V extends string | undefined>(props: {
  path: string;
  label: string;
  value: V;
  onChange: (value: V) => void;
  hint?: ReactNode;
}) {
  const facts = useFacts(props.path);
  const defaultHint = typeof facts.defaultValue === 'string' ? `default ${facts.defaultValue}` : undefined;
  return (
    <TextField
      {...props}
      size="narrow"
      mono
      showLength={false}
      hint={joinHints(
        props.hint,
        'e.g. 500ms, 2s, 1m30s',
        defaultHint,
        facts.optional ? 'empty: not set' : undefined,
      )}
    />
  );
}

/** A drop-down of the schema's enum values; an optional field gets an `emptyLabel` choice that removes it. */
export function SelectField<V extends string | undefined>({
  path,
  label,
  value,
  onChange,
  options,
  optionLabel,
  emptyLabel,
  hint,
}: {
  path: string;
  label: string;
  value: V;
  onChange: (value: V) => void;
  /** Defaults to the enum's values from the schema. */
  options?: readonly string[];
  optionLabel?: (option: string) => string;
  /** The choice that leaves the field out (only for optional fields). */
  emptyLabel?: string;
  hint?: ReactNode;
} & Pick<SelectHTMLAttributes<HTMLSelectElement>, 'title'>) {
  const facts = useFacts(path);
  const choices = options ?? facts.options ?? [];
  return (
    <FieldFrame path={path} label={label} hint={hint} size="narrow">
      {(control) => (
        <select
          {...control}
          className="input"
          value={value ?? ''}
          onChange={(e) => onChange((e.target.value === '' ? undefined : e.target.value) as V)}
        >
          {emptyLabel !== undefined ? <option value="">{emptyLabel}</option> : null}
          {choices.map((option) => (
            <option key={option} value={option}>
              {optionLabel ? optionLabel(option) : option}
            </option>
          ))}
        </select>
      )}
    </FieldFrame>
  );
}

/** A yes/no field, label beside the box. */
export function CheckboxField({
  path,
  label,
  checked,
  onChange,
  hint,
}: {
  path: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
}) {
  const { issues, readOnly } = useFormScope();
  const id = useId();
  const fieldIssues = issuesFor(issues, path);
  return (
    <div className="field pe-checkbox-field" data-field={path}>
      <label className="pe-checkbox-label" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={readOnly}
          aria-describedby={describedBy([
            fieldIssues.length > 0 && issueListId(specPath(path)),
            Boolean(hint) && `${id}-hint`,
          ])}
          aria-invalid={fieldIssues.some((i) => i.severity === 'error') || undefined}
          onChange={(e) => onChange(e.target.checked)}
          data-test={`field-${path}`}
        />
        {label}
      </label>
      {hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <FieldIssueList issues={issues} path={specPath(path)} />
    </div>
  );
}

/**
 * Several checkboxes or radio buttons for one field (a set of enum values, or one of them), in a fieldset
 * whose legend is the label. Each box's `data-test` is `field-<path>.<value>`.
 */
export function ChoiceGroup({
  path,
  label,
  type,
  options,
  isChecked,
  onToggle,
  describe,
  hint,
}: {
  path: string;
  label: string;
  type: 'checkbox' | 'radio';
  options: readonly string[];
  isChecked: (option: string) => boolean;
  onToggle: (option: string, checked: boolean) => void;
  describe?: (option: string) => string;
  hint?: ReactNode;
}) {
  const { issues, readOnly } = useFormScope();
  const id = useId();
  const fieldIssues = issuesFor(issues, path);
  const invalid = fieldIssues.some((i) => i.severity === 'error');
  return (
    <fieldset
      className={`pe-choice-group${invalid ? ' invalid' : ''}`}
      data-test={`field-${path}`}
      aria-describedby={describedBy([
        fieldIssues.length > 0 && issueListId(specPath(path)),
        Boolean(hint) && `${id}-hint`,
      ])}
      aria-invalid={invalid || undefined}
      disabled={readOnly}
    >
      <legend className="field-label">{label}</legend>
      <div className="pe-choice-options" role={type === 'radio' ? 'radiogroup' : undefined}>
        {options.map((option) => (
          <label key={option} className="pe-checkbox-label pe-choice">
            <input
              type={type}
              name={type === 'radio' ? id : undefined}
              checked={isChecked(option)}
              disabled={readOnly}
              onChange={(e) => onToggle(option, e.target.checked)}
              data-test={`field-${path}.${option}`}
            />
            <span>
              <span className={type === 'checkbox' ? 'mono' : 'strong'}>{option}</span>
              {describe ? <span className="pe-choice-description">{describe(option)}</span> : null}
            </span>
          </label>
        ))}
      </div>
      {hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <FieldIssueList issues={issues} path={specPath(path)} />
    </fieldset>
  );
}

/* ---------- layout ---------- */

/** A titled group of fields. */
export function FormSection({
  title,
  description,
  path,
  children,
  actions,
  testId,
}: {
  title: string;
  description?: ReactNode;
  /** The spec path the section edits, for issues about it as a whole. */
  path?: string;
  children: ReactNode;
  actions?: ReactNode;
  testId?: string;
}) {
  return (
    <section className="pe-spec-section" data-test={testId}>
      <div className="pe-spec-section-header">
        <h3>{title}</h3>
        {actions}
      </div>
      {description ? <p className="form-help muted">{description}</p> : null}
      {path !== undefined ? <PathIssues path={path} /> : null}
      {children}
    </section>
  );
}

/** A row of fields that wraps on narrow windows. */
export function FieldRow({ children }: { children: ReactNode }) {
  return <div className="form-row pe-spec-row">{children}</div>;
}

/**
 * An optional block of the spec (`concurrency`, `outlierDetection`, `healthCheck`…): a checkbox adds it with
 * `create()` and removes it again; its fields show only while it is there.
 */
export function OptionalBlock<T>({
  path,
  title,
  description,
  value,
  onChange,
  create,
  children,
}: {
  path: string;
  title: string;
  description?: ReactNode;
  value: T | undefined;
  onChange: (value: T | undefined) => void;
  create: () => T;
  children: (value: T) => ReactNode;
}) {
  return (
    <section className={`pe-spec-section pe-optional-block${value === undefined ? ' off' : ''}`}>
      <CheckboxField
        path={path}
        label={title}
        checked={value !== undefined}
        onChange={(on) => onChange(on ? create() : undefined)}
        hint={description}
      />
      {value !== undefined ? <div className="pe-optional-block-body">{children(value)}</div> : null}
    </section>
  );
}

/**
 * A list the user can add to, remove from and reorder. Test ids: `add-<testId>`, `remove-<testId>-<i>`,
 * `move-<testId>-<i>-up|down`, `item-<testId>-<i>`; `testId` is the item's singular noun, after its parent's
 * path when nested ("rule", "rules.0.override").
 */
export function ListEditor<T>({
  path,
  items,
  onChange,
  create,
  noun,
  testId,
  renderItem,
  itemTitle,
  empty,
  reorder = true,
}: {
  path: string;
  items: readonly T[];
  onChange: (items: T[]) => void;
  create: () => T;
  /** "rule", "override": the buttons say "Add rule", "Remove rule 2". */
  noun: string;
  testId: string;
  renderItem: (item: T, index: number, update: (item: T) => void) => ReactNode;
  itemTitle?: (item: T, index: number) => ReactNode;
  /** What an empty list means ("Every request", "No overrides"). */
  empty?: ReactNode;
  /** Off where order means nothing. */
  reorder?: boolean;
}) {
  const { readOnly } = useFormScope();
  const facts = useFacts(path);
  const full = facts.max !== undefined && items.length >= facts.max;
  return (
    <div className="pe-list-editor" data-test={`list-${testId}`}>
      <PathIssues path={path} />
      {items.length === 0 && empty ? <p className="pe-list-empty muted small">{empty}</p> : null}
      <ol className="pe-list-items">
        {items.map((item, i) => (
          <li key={i} className="pe-list-item" data-test={`item-${testId}-${i}`}>
            <div className="pe-list-item-header">
              <span className="pe-list-item-title">
                {itemTitle ? itemTitle(item, i) : `${noun[0]?.toUpperCase()}${noun.slice(1)} ${i + 1}`}
              </span>
              <span className="pe-list-item-actions">
                {reorder ? (
                  <>
                    <button
                      type="button"
                      className="button link pe-compact"
                      disabled={readOnly || i === 0}
                      aria-label={`Move ${noun} ${i + 1} up`}
                      title="Move up"
                      onClick={() => onChange(moveItem(items, i, i - 1))}
                      data-test={`move-${testId}-${i}-up`}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="button link pe-compact"
                      disabled={readOnly || i === items.length - 1}
                      aria-label={`Move ${noun} ${i + 1} down`}
                      title="Move down"
                      onClick={() => onChange(moveItem(items, i, i + 1))}
                      data-test={`move-${testId}-${i}-down`}
                    >
                      ↓
                    </button>
                  </>
                ) : null}
                <button
                  type="button"
                  className="button link pe-compact pe-danger-link"
                  disabled={readOnly}
                  aria-label={`Remove ${noun} ${i + 1}`}
                  onClick={() => onChange(removeItem(items, i))}
                  data-test={`remove-${testId}-${i}`}
                >
                  Remove
                </button>
              </span>
            </div>
            <PathIssues path={`${path}.${i}`} />
            {renderItem(item, i, (next) => onChange(replaceItem(items, i, next)))}
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button pe-compact"
        disabled={readOnly || full}
        onClick={() => onChange([...items, create()])}
        data-test={`add-${testId}`}
        title={full ? `At most ${formatCount(facts.max ?? 0)}` : undefined}
      >
        + Add {noun}
      </button>
      {full ? <span className="field-hint"> at most {formatCount(facts.max ?? 0)}</span> : null}
    </div>
  );
}

/* ---------- route matches ---------- */

const PATH_TYPE_LABEL: Record<string, string> = {
  PathPrefix: 'Path prefix',
  Exact: 'Exact path',
  RegularExpression: 'Path regex',
};

const ANY = '';

/**
 * One Gateway API HTTPRouteMatch: path (prefix, exact or regex), method, header and query-param matches. Every
 * part is optional; a request must satisfy all the parts that are set.
 */
export function RouteMatchEditor({
  path,
  match,
  onChange,
}: {
  path: string;
  match: RouteMatch;
  onChange: (match: RouteMatch) => void;
}) {
  return (
    <div className="pe-route-match">
      <FieldRow>
        <SelectField
          path={`${path}.path.type`}
          label="Path"
          value={match.path?.type ?? ANY}
          emptyLabel="Any path"
          optionLabel={(o) => PATH_TYPE_LABEL[o] ?? o}
          onChange={(type) =>
            onChange(
              withField(
                match,
                'path',
                type === undefined || type === ANY ? undefined : { type, value: match.path?.value ?? '/' },
              ),
            )
          }
        />
        {match.path ? (
          <TextField
            path={`${path}.path.value`}
            label={match.path.type === 'RegularExpression' ? 'Path pattern' : 'Path value'}
            value={match.path.value}
            mono
            size="wide"
            hint={
              match.path.type === 'PathPrefix'
                ? 'matches whole segments: /api matches /api/x, not /apix'
                : undefined
            }
            onChange={(value) => match.path && onChange({ ...match, path: { ...match.path, value } })}
          />
        ) : null}
        <SelectField
          path={`${path}.method`}
          label="Method"
          value={match.method}
          emptyLabel="Any method"
          onChange={(method) => onChange(withField(match, 'method', method))}
        />
      </FieldRow>
      <KeyValueMatches
        path={`${path}.headers`}
        noun="header match"
        testNoun="header"
        items={match.headers ?? []}
        onChange={(headers) => onChange(withField(match, 'headers', optionalList(headers)))}
      />
      <KeyValueMatches
        path={`${path}.queryParams`}
        noun="query match"
        testNoun="queryParam"
        items={match.queryParams ?? []}
        onChange={(queryParams) => onChange(withField(match, 'queryParams', optionalList(queryParams)))}
      />
    </div>
  );
}

type KeyValueMatch = NonNullable<RouteMatch['headers']>[number];

/** Header or query-param matches: name, exact value or regex. */
function KeyValueMatches({
  path,
  noun,
  testNoun,
  items,
  onChange,
}: {
  path: string;
  noun: string;
  testNoun: string;
  items: readonly KeyValueMatch[];
  onChange: (items: KeyValueMatch[]) => void;
}) {
  return (
    <ListEditor<KeyValueMatch>
      path={path}
      noun={noun}
      testId={listTestId(path, testNoun)}
      items={items}
      reorder={false}
      create={() => ({ type: 'Exact', name: '', value: '' })}
      onChange={onChange}
      itemTitle={(_, i) => `${noun[0]?.toUpperCase()}${noun.slice(1)} ${i + 1}`}
      renderItem={(item, i, update) => (
        <FieldRow>
          <TextField
            path={`${path}.${i}.name`}
            label="Name"
            value={item.name}
            mono
            onChange={(name) => update({ ...item, name })}
          />
          <SelectField
            path={`${path}.${i}.type`}
            label="Match"
            value={item.type}
            optionLabel={(o) => (o === 'Exact' ? 'Exact value' : 'Regex')}
            onChange={(type) => update({ ...item, type })}
          />
          <TextField
            path={`${path}.${i}.value`}
            label="Value"
            value={item.value}
            mono
            size="wide"
            onChange={(value) => update({ ...item, value })}
          />
        </FieldRow>
      )}
    />
  );
}

/** A list of route matches; a request matching any one of them is selected. */
export function MatchesEditor({
  path,
  matches,
  onChange,
  empty,
}: {
  path: string;
  matches: readonly RouteMatch[] | undefined;
  /** Receives undefined when the last match is removed (no `matches`: every request). */
  onChange: (matches: RouteMatch[] | undefined) => void;
  empty: ReactNode;
}) {
  return (
    <ListEditor<RouteMatch>
      path={path}
      noun="match"
      testId={listTestId(path, 'match')}
      items={matches ?? []}
      reorder={false}
      empty={empty}
      create={() => ({ path: { type: 'PathPrefix', value: '/' } })}
      onChange={(list) => onChange(optionalList(list))}
      itemTitle={(_, i) => (i === 0 ? 'Requests matching' : 'or matching')}
      renderItem={(match, i, update) => (
        <RouteMatchEditor path={`${path}.${i}`} match={match} onChange={update} />
      )}
    />
  );
}
