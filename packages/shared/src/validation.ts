/**
 * Validation results name each failing field and why (SPEC: VAL1). Expected failures are data.
 */
import type { z } from 'zod';

export interface FieldIssue {
  /** Dotted path of the field, e.g. `priceCents` or `tags.3`. Empty for the document as a whole. */
  readonly field: string;
  /** Machine-readable reason, from zod (`too_small`, `invalid_format`, …) or Concord (`unknown_field`). */
  readonly code: string;
  readonly message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export function issuesFromZod(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
}

export function validateWith<T>(schema: z.ZodType<T>, value: unknown): ValidationResult<T> {
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: issuesFromZod(result.error) };
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
}
