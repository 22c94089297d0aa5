/**
 * Validate stage: the document after an edit is checked against its kind's schema; fields left
 * invalid, or changed while the document's state locks them (LOCK1), are compensated — brought
 * back by a server edit that is logged right after the one that broke them (SPEC COMP1–COMP6;
 * the repair rules are `@concord/shared`'s).
 */
import {
  META_MAP,
  Origin,
  SERVER_IDENTITY,
  compensate,
  describeIssues,
  fieldsOf,
  lockedChanges,
  readField,
  validateDocument,
  validateFields,
} from '@concord/shared';
import type { LiveDoc } from '../docs/liveDoc.js';
import { applyCaptured, type Applied } from './apply.js';

export interface Violation {
  readonly reason: 'invalid_document';
  readonly fields: string[];
  readonly message: string;
}

export interface Validated {
  /** The document's JSON right after the edit. */
  readonly after: Record<string, unknown>;
  /** What was invalid, if anything. */
  readonly violation: Violation | undefined;
  /** The compensating edit, when one was needed. */
  readonly compensation: Applied | undefined;
  /** The document's JSON after compensation (`after` when none was needed). */
  readonly final: Record<string, unknown>;
}

/** `before` with the fields in `changed` read again from the document. */
export function reread(
  live: LiveDoc,
  before: Record<string, unknown>,
  changed: ReadonlySet<string>,
): Record<string, unknown> {
  if (changed.has(META_MAP)) return live.json();
  const after = { ...before };
  for (const field of changed) after[field] = readField(live.doc, live.kind, field);
  return after;
}

/**
 * Check `live` after an edit that touched `changed` (everything when undefined) — `before` being
 * its last valid state, so only the changed fields are validated — compensate what is invalid, and
 * move `live.lastValid` on.
 */
export function validateAndCompensate(
  live: LiveDoc,
  before: Record<string, unknown>,
  changed: ReadonlySet<string> | undefined,
): Validated {
  const after = changed ? reread(live, before, changed) : live.json();
  // `before` is the last valid state: once checked, only what changed can have become invalid.
  const result =
    changed && !changed.has(META_MAP) && live.lastValidChecked
      ? validateFields(live.kind, after, changed)
      : validateDocument(live.kind, after);
  // Fields the document's state locks (an order's lines once placed) are brought back too.
  const issues = [...(result.ok ? [] : result.issues), ...lockedChanges(live.kind, before, after)];
  if (issues.length === 0) {
    live.lastValid = after;
    live.lastValidChecked = true;
    return { after, violation: undefined, compensation: undefined, final: after };
  }
  const fields = fieldsOf(issues);
  const violation: Violation = {
    reason: 'invalid_document',
    fields,
    message: describeIssues(issues),
  };
  const { applied } = applyCaptured(
    live,
    (origin) =>
      compensate(
        live.doc,
        live.kind,
        live.lastValid,
        after,
        fields,
        live.clock,
        SERVER_IDENTITY,
        origin,
      ),
    Origin.server,
  );
  const final = live.json();
  // Compensation is total (SPEC COMP5): the result is valid, so it is the new last valid state.
  if (validateDocument(live.kind, final).ok) {
    live.lastValid = final;
    live.lastValidChecked = true;
  }
  return { after, violation, compensation: applied, final };
}
