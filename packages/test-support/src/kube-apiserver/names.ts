/** Name rules from k8s.io/apimachinery/pkg/util/validation, with the real server's wording. */
import { fieldError, type FieldError } from './errors.ts';
import type { NameRule } from './resources.ts';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function validateDns1123Label(field: string, value: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length > 63) errors.push(fieldError.invalid(field, value, 'must be no more than 63 characters'));
  if (!LABEL.test(value)) {
    errors.push(
      fieldError.invalid(
        field,
        value,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ),
    );
  }
  return errors;
}

export function validateDns1123Subdomain(field: string, value: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length > 253)
    errors.push(fieldError.invalid(field, value, 'must be no more than 253 characters'));
  if (!SUBDOMAIN.test(value)) {
    errors.push(
      fieldError.invalid(
        field,
        value,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  return errors;
}

export function validateDns1035Label(field: string, value: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length > 63) errors.push(fieldError.invalid(field, value, 'must be no more than 63 characters'));
  if (!DNS1035.test(value)) {
    errors.push(
      fieldError.invalid(
        field,
        value,
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ),
    );
  }
  return errors;
}

export function validateName(rule: NameRule, field: string, value: string): FieldError[] {
  switch (rule) {
    case 'label':
      return validateDns1123Label(field, value);
    case 'dns1035':
      return validateDns1035Label(field, value);
    case 'subdomain':
      return validateDns1123Subdomain(field, value);
    case 'path':
      return pathSegmentProblems(field, value);
  }
}

/** Any object name must also be usable as a URL path segment. */
export function pathSegmentProblems(field: string, value: string): FieldError[] {
  if (value === '.' || value === '..') return [fieldError.invalid(field, value, `may not be '${value}'`)];
  for (const bad of ['/', '%']) {
    if (value.includes(bad)) return [fieldError.invalid(field, value, `may not contain '${bad}'`)];
  }
  return [];
}
