/**
 * LWW register on Yjs, ordered by hybrid logical clock (SPEC: LWW1–LWW7, ENTRY1): everything a
 * register field means lives here (`registerField`).
 *
 * A register is a top-level Y.Map of slots keyed by the writing Yjs client id. A writer only ever
 * sets its own slot, and deletes the slots its new write dominates. A Yjs map deletion removes only
 * the entry that deleter saw, so a concurrent write into a pruned slot survives: pruning never
 * loses a concurrent write. The value is the slot with the greatest HLC (ties: replica id, then
 * slot key); the other live slots are exactly the concurrent writes that lost.
 */
import type * as Y from 'yjs';
import {
  ENTRY_OK,
  refuseEntry,
  valueChange,
  combineValues,
  compareValues,
  type EntryCheck,
  type EntryWriter,
  type FieldOps,
  type FieldSpec,
  type RegisterValue,
} from './fieldKind.js';
import { compareHlc, isHlc, type Hlc, type HybridClock } from './hlc.js';
import { validateWith } from './validation.js';

export type { RegisterValue };

/** What a slot holds, as stored in Yjs. */
export interface RegisterSlot {
  readonly v: RegisterValue;
  readonly t: Hlc;
  /** The user id of the writer (for "your change was overwritten by …"). */
  readonly by: string;
}

export interface RegisterWrite {
  readonly value: RegisterValue;
  readonly stamp: Hlc;
  readonly writer: string;
  /** The Yjs client id whose slot holds this write. */
  readonly slot: number;
}

export interface RegisterState {
  /** The winning write, or undefined for a register never written. */
  readonly current: RegisterWrite | undefined;
  /** Concurrent writes that lost to `current`, greatest first. */
  readonly superseded: readonly RegisterWrite[];
}

export type RegisterMap = Y.Map<unknown>;

export function isRegisterSlot(value: unknown): value is RegisterSlot {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  const v = s.v;
  const valueOk =
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v));
  return valueOk && isHlc(s.t) && typeof s.by === 'string';
}

/** Order of two writes: HLC first, then slot key, so the order is total (LWW1, LWW2). */
export function compareWrites(a: RegisterWrite, b: RegisterWrite): number {
  return compareHlc(a.stamp, b.stamp) || a.slot - b.slot;
}

/** All well-formed writes in the register, greatest first. Malformed slots are ignored (LWW6). */
export function registerWrites(map: RegisterMap): RegisterWrite[] {
  const writes: RegisterWrite[] = [];
  map.forEach((raw, key) => {
    const slot = Number(key);
    if (!Number.isSafeInteger(slot) || !isRegisterSlot(raw)) return;
    writes.push({ value: raw.v, stamp: raw.t, writer: raw.by, slot });
  });
  return writes.sort((a, b) => compareWrites(b, a));
}

export function readRegister(map: RegisterMap): RegisterState {
  const [current, ...superseded] = registerWrites(map);
  return { current, superseded };
}

/**
 * Write `value` into this client's slot with a fresh HLC stamp greater than every slot it has seen
 * (within the clock's skew bound), then prune the slots it dominates (LWW3, LWW4). Must run inside a
 * transaction of the map's document to be one update.
 */
export function writeRegister(
  map: RegisterMap,
  value: RegisterValue,
  clock: HybridClock,
  writer: string,
): Hlc {
  const doc = map.doc;
  if (!doc) throw new Error('writeRegister: the register map is not attached to a Y.Doc');
  const mine = doc.clientID;
  const existing = registerWrites(map);
  for (const w of existing) clock.tryReceive(w.stamp);
  const stamp = clock.now();
  // A clock never issues a malformed stamp (HLC5); were it to, pruning with it would delete valid
  // slots in favour of one readers ignore, so refuse before touching the map.
  if (!isHlc(stamp)) throw new RangeError(`writeRegister: the clock issued a malformed stamp`);
  const slot: RegisterSlot = { v: value, t: stamp, by: writer };
  map.set(String(mine), slot);
  const written: RegisterWrite = { value, stamp, writer, slot: mine };
  for (const w of existing) {
    if (w.slot !== mine && compareWrites(w, written) < 0) map.delete(String(w.slot));
  }
  // Entries that are not slots at all (a buggy client's junk) are dominated by definition.
  const junk: string[] = [];
  map.forEach((raw, key) => {
    if (key !== String(mine) && (!isRegisterSlot(raw) || !Number.isSafeInteger(Number(key))))
      junk.push(key);
  });
  for (const key of junk) map.delete(key);
  return stamp;
}

/**
 * Make the register read `target` with a fresh server stamp. Slots whose stamp the server's clock
 * refuses (too far ahead, or malformed) would outrank any honest write, so they go first (COMP5).
 */
export function compensateRegister(
  map: RegisterMap,
  target: RegisterValue,
  clock: HybridClock,
  writer: string,
): void {
  const doomed: string[] = [];
  map.forEach((raw, key) => {
    if (!isRegisterSlot(raw) || clock.checkSkew(raw.t)) doomed.push(key);
  });
  for (const key of doomed) map.delete(key);
  writeRegister(map, target, clock, writer);
}

/** The writes of `user` that lost to someone else's later write ("your change was overwritten"). */
export function lostWrites(
  map: RegisterMap,
  user: string,
): { mine: RegisterWrite; current: RegisterWrite } | undefined {
  const { current, superseded } = readRegister(map);
  if (!current || current.writer === user) return undefined;
  const mine = superseded.find((w) => w.writer === user);
  return mine ? { mine, current } : undefined;
}

/**
 * What every last-writer-wins slot must be (ENTRY1), keys aside: `{v, t, by}` with a value the
 * field stores (`valueOk`), a well-formed stamp at most the accepted skew ahead of the server's
 * clock, naming its writer.
 */
export function checkSlot(
  field: string,
  value: unknown,
  w: EntryWriter,
  slot: {
    readonly name: string;
    readonly shape: string;
    readonly valueOk: (v: RegisterValue) => boolean;
  },
): EntryCheck {
  const raw = value as Record<string, unknown> | null;
  if (typeof raw === 'object' && raw !== null && !isHlc(raw.t)) {
    return refuseEntry('clock_range', `${field}: the timestamp is malformed or out of range`);
  }
  if (!isRegisterSlot(value) || Object.keys(value).length !== 3 || !slot.valueOk(value.v)) {
    return refuseEntry('malformed_entry', `${field}: a ${slot.name} is ${slot.shape}`);
  }
  if (value.by !== w.user) {
    return refuseEntry(
      'forged_identity',
      `${field}: a ${slot.name} must name its writer (${w.user})`,
    );
  }
  const lead = value.t.wallMs - w.nowMs;
  if (lead > w.maxSkewMs) {
    return refuseEntry(
      'clock_skew',
      `${field}: timestamp is ${lead} ms ahead of the server's clock (at most ${w.maxSkewMs} ms accepted); check this device's clock`,
    );
  }
  return ENTRY_OK;
}

type RegisterSpec = Extract<FieldSpec, { kind: 'register' }>;

export const registerField: FieldOps<RegisterSpec> = {
  prefix: 'r',
  type: (doc, typeName) => doc.getMap<unknown>(typeName),
  read(doc, typeName, spec) {
    const { current } = readRegister(doc.getMap<unknown>(typeName));
    return current ? current.value : spec.default;
  },
  checkPatch(spec, field, value) {
    const r = validateWith(spec.value, value);
    return r.ok
      ? []
      : r.issues.map((i) => ({ ...i, field: i.field ? `${field}.${i.field}` : field }));
  },
  apply(doc, typeName, _spec, value, ctx) {
    return writeRegister(
      doc.getMap<unknown>(typeName),
      value as RegisterValue,
      ctx.clock,
      ctx.writer,
    );
  },
  patchTo(_spec, from, to) {
    return from === to ? undefined : (to as RegisterValue);
  },
  repair(spec, current) {
    return spec.value.safeParse(current).success ? current : spec.default;
  },
  compensate(doc, typeName, _spec, target, ctx) {
    compensateRegister(
      doc.getMap<unknown>(typeName),
      target as RegisterValue,
      ctx.clock,
      ctx.writer,
    );
  },
  checkEntry(field, key, value, w) {
    if (key !== String(w.client)) {
      return refuseEntry(
        'forged_identity',
        `${field}: a register slot must be keyed by its writer's client id`,
      );
    }
    return checkSlot(field, value, w, {
      name: 'register slot',
      shape: '{v, t, by}',
      valueOk: () => true,
    });
  },
  change: valueChange,
  combine: combineValues,
  compare: compareValues,
  revert(spec, change, current) {
    return this.patchTo(spec, current, change.from);
  },
  describe({ from, to }) {
    return `${JSON.stringify(from ?? null)} → ${JSON.stringify(to ?? null)}`;
  },
};
