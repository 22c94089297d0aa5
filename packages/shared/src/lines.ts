/**
 * Lines: a keyed list of small records (an order's lines), each line an LWW register ordered by
 * hybrid logical clock (SPEC LINE1–LINE4): everything a lines field means lives here
 * (`linesField`).
 *
 * A top-level Y.Map of slots keyed `<line id>@<client id>`: a writer only sets its own slot of a
 * line and prunes the slots of that line its write dominates, exactly as a register does, so two
 * people editing different lines never touch each other's slots, and two editing one line resolve
 * by time. A slot holds the line's value as JSON text, or null once the line is removed (a removal
 * is a write like any other: a later edit of the line brings it back, an earlier one does not).
 * Lines read in id order; a line whose winning value is not valid for the field is not shown.
 */
import type * as Y from 'yjs';
import {
  isObject,
  refuseEntry,
  valueChange,
  combineValues,
  compareValues,
  type FieldOps,
  type FieldSpec,
  type LinesPatch,
} from './fieldKind.js';
import { isHlc, type HybridClock } from './hlc.js';
import {
  checkSlot,
  compareWrites,
  isRegisterSlot,
  type RegisterSlot,
  type RegisterWrite,
} from './register.js';
import type { FieldIssue } from './validation.js';

type LinesSpec = Extract<FieldSpec, { kind: 'lines' }>;

/** A materialized line: its id and its fields. */
export type Line = { readonly id: string } & Readonly<Record<string, unknown>>;

export const LINE_ID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** Longest JSON text of one line. */
export const MAX_LINE_JSON = 4_000;
const SLOT_KEY = /^([A-Za-z0-9_-]{1,40})@(\d+)$/;

/** The winning write of every line, by line id (malformed slots ignored). */
function winners(map: Y.Map<unknown>): Map<string, RegisterWrite> {
  const out = new Map<string, RegisterWrite>();
  map.forEach((raw, key) => {
    const m = SLOT_KEY.exec(key);
    if (!m || !isRegisterSlot(raw)) return;
    const write: RegisterWrite = { value: raw.v, stamp: raw.t, writer: raw.by, slot: Number(m[2]) };
    const best = out.get(m[1]!);
    if (!best || compareWrites(write, best) > 0) out.set(m[1]!, write);
  });
  return out;
}

function parseLine(spec: LinesSpec, id: string, text: unknown): Line | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const checked = spec.value.safeParse(value);
  return checked.success && isObject(checked.data) ? { ...checked.data, id } : undefined;
}

export function readLines(map: Y.Map<unknown>, spec: LinesSpec): Line[] {
  const out: Line[] = [];
  for (const [id, write] of winners(map)) {
    const line = parseLine(spec, id, write.value);
    if (line) out.push(line);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Write one line (JSON text, or null to remove it) into this client's slot, then prune. */
function writeLine(
  map: Y.Map<unknown>,
  id: string,
  value: string | null,
  clock: HybridClock,
  writer: string,
): void {
  const doc = map.doc;
  if (!doc) throw new Error('writeLine: the lines map is not attached to a Y.Doc');
  const mine = `${id}@${doc.clientID}`;
  const existing: [string, RegisterWrite][] = [];
  map.forEach((raw, key) => {
    const m = SLOT_KEY.exec(key);
    if (m?.[1] === id && isRegisterSlot(raw))
      existing.push([key, { value: raw.v, stamp: raw.t, writer: raw.by, slot: Number(m[2]) }]);
  });
  for (const [, w] of existing) clock.tryReceive(w.stamp);
  const stamp = clock.now();
  if (!isHlc(stamp)) throw new RangeError('writeLine: the clock issued a malformed stamp');
  const slot: RegisterSlot = { v: value, t: stamp, by: writer };
  map.set(mine, slot);
  const written: RegisterWrite = { value, stamp, writer, slot: doc.clientID };
  for (const [key, w] of existing)
    if (key !== mine && compareWrites(w, written) < 0) map.delete(key);
}

/** The line's fields without its id, as stored. */
function valueOf(line: Line): Record<string, unknown> {
  const { id: _id, ...rest } = line;
  return rest;
}

function asLines(value: unknown): Line[] {
  return Array.isArray(value)
    ? value.filter((l): l is Line => isObject(l) && typeof l.id === 'string')
    : [];
}

function linesPatch(from: unknown, to: unknown): LinesPatch | undefined {
  const before = new Map(asLines(from).map((l) => [l.id, JSON.stringify(valueOf(l))]));
  const after = asLines(to);
  const set: Record<string, Record<string, unknown>> = {};
  for (const line of after)
    if (before.get(line.id) !== JSON.stringify(valueOf(line))) set[line.id] = valueOf(line);
  const kept = new Set(after.map((l) => l.id));
  const remove = [...before.keys()].filter((id) => !kept.has(id));
  if (Object.keys(set).length === 0 && remove.length === 0) return undefined;
  return { ...(Object.keys(set).length > 0 ? { set } : {}), ...(remove.length ? { remove } : {}) };
}

function applyLines(
  map: Y.Map<unknown>,
  patch: LinesPatch,
  clock: HybridClock,
  writer: string,
): void {
  for (const [id, value] of Object.entries(patch.set ?? {}))
    writeLine(map, id, JSON.stringify(value), clock, writer);
  for (const id of patch.remove ?? []) writeLine(map, id, null, clock, writer);
}

function describeLine(line: Line): string {
  const what = typeof line.product === 'string' ? line.product : line.id;
  return typeof line.quantity === 'number' ? `${line.quantity} × ${what}` : what;
}

export const linesField: FieldOps<LinesSpec> = {
  prefix: 'l',
  type: (doc, typeName) => doc.getMap<unknown>(typeName),
  read(doc, typeName, spec) {
    return readLines(doc.getMap<unknown>(typeName), spec);
  },
  checkPatch(spec, field, value) {
    const issue = (message: string): FieldIssue[] => [{ field, code: 'invalid', message }];
    if (!isObject(value)) return issue(`${field} takes {set: {<line id>: line}, remove: [ids]}`);
    const { set, remove, ...rest } = value;
    if (Object.keys(rest).length > 0) return issue(`${field} takes only "set" and "remove"`);
    if (set !== undefined && !isObject(set)) return issue(`${field}.set must be an object`);
    if (
      remove !== undefined &&
      (!Array.isArray(remove) || remove.some((r) => typeof r !== 'string'))
    )
      return issue(`${field}.remove must be a list of line ids`);
    const ids = [...Object.keys(set ?? {}), ...((remove as string[] | undefined) ?? [])];
    if (ids.length > spec.max) return issue(`at most ${spec.max} lines`);
    const bad = ids.find((id) => !LINE_ID_PATTERN.test(id));
    if (bad !== undefined)
      return issue(`line ids are 1-40 characters of A-Z, a-z, 0-9, "_" or "-"`);
    const issues: FieldIssue[] = [];
    for (const [id, line] of Object.entries(set ?? {})) {
      const checked = spec.value.safeParse(line);
      if (!checked.success)
        for (const i of checked.error.issues)
          issues.push({
            field: `${field}.${id}${i.path.length ? `.${i.path.join('.')}` : ''}`,
            code: i.code,
            message: i.message,
          });
      else if (JSON.stringify(line).length > MAX_LINE_JSON)
        issues.push({ field: `${field}.${id}`, code: 'too_big', message: 'line too long' });
    }
    return issues;
  },
  apply(doc, typeName, _spec, value, ctx) {
    applyLines(doc.getMap<unknown>(typeName), value as LinesPatch, ctx.clock, ctx.writer);
    return undefined;
  },
  patchTo(_spec, from, to) {
    return linesPatch(from, to);
  },
  repair(spec, current) {
    return asLines(current)
      .filter((l) => spec.value.safeParse(valueOf(l)).success)
      .slice(0, spec.max);
  },
  compensate(doc, typeName, spec, target, ctx) {
    const map = doc.getMap<unknown>(typeName);
    // Slots the server's clock refuses would outrank every honest write: they go first (COMP5).
    const doomed: string[] = [];
    map.forEach((raw, key) => {
      if (!SLOT_KEY.test(key) || !isRegisterSlot(raw) || ctx.clock.checkSkew(raw.t))
        doomed.push(key);
    });
    for (const key of doomed) map.delete(key);
    const patch = linesPatch(readLines(map, spec), target);
    if (patch) applyLines(map, patch, ctx.clock, ctx.writer);
  },
  checkEntry(field, key, value, w) {
    const m = SLOT_KEY.exec(key);
    if (!m)
      return refuseEntry('malformed_entry', `${field}: a line slot is "<line id>@<client id>"`);
    if (m[2] !== String(w.client))
      return refuseEntry(
        'forged_identity',
        `${field}: a line slot must be keyed by its writer's client id`,
      );
    return checkSlot(field, value, w, {
      name: 'line slot',
      shape: '{v: JSON text or null, t, by}',
      valueOk: (v) => v === null || (typeof v === 'string' && v.length <= MAX_LINE_JSON),
    });
  },
  change: valueChange,
  combine: combineValues,
  compare: compareValues,
  revert(_spec, change, current) {
    // Undo only the lines this change touched, as they are now (LINE4).
    const undo = linesPatch(change.to, change.from);
    if (!undo) return undefined;
    const now = new Map(asLines(current).map((l) => [l.id, l]));
    const set = Object.fromEntries(Object.entries(undo.set ?? {}));
    const remove = (undo.remove ?? []).filter((id) => now.has(id));
    if (Object.keys(set).length === 0 && remove.length === 0) return undefined;
    return {
      ...(Object.keys(set).length > 0 ? { set } : {}),
      ...(remove.length ? { remove } : {}),
    };
  },
  describe({ from, to }) {
    const before = new Map(asLines(from).map((l) => [l.id, l]));
    const after = new Map(asLines(to).map((l) => [l.id, l]));
    const parts: string[] = [];
    for (const [id, line] of after) {
      const old = before.get(id);
      if (!old) parts.push(`added ${describeLine(line)}`);
      else if (JSON.stringify(valueOf(old)) !== JSON.stringify(valueOf(line)))
        parts.push(`${describeLine(old)} → ${describeLine(line)}`);
    }
    for (const [id, line] of before)
      if (!after.has(id)) parts.push(`removed ${describeLine(line)}`);
    return parts.join('; ') || 'unchanged';
  },
};
