/**
 * The four field kinds, by name: the only dispatch table over kinds. Everything generic looks a
 * field's semantics up here (`opsOf`).
 */
import { counterField } from './counter.js';
import { linesField } from './lines.js';
import type { FieldOps, FieldSpec } from './fieldKind.js';
import { registerField } from './register.js';
import { setField } from './tagSet.js';
import { textField } from './text.js';

const FIELD_KINDS: {
  readonly [K in FieldSpec['kind']]: FieldOps<Extract<FieldSpec, { kind: K }>>;
} = {
  register: registerField,
  text: textField,
  set: setField,
  counter: counterField,
  lines: linesField,
};

/** The semantics of the kind `spec` belongs to. */
export function opsOf(spec: FieldSpec): FieldOps<FieldSpec> {
  return FIELD_KINDS[spec.kind] as FieldOps<FieldSpec>;
}

/** The top-level Yjs type name that holds `field`. */
export function fieldTypeName(spec: FieldSpec, field: string): string {
  return `${opsOf(spec).prefix}:${field}`;
}
