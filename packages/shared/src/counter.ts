/**
 * Counter on Yjs (SPEC: CTR1–CTR4): everything a counter field means lives here (`counterField`).
 * A top-level Y.Map holds one slot per writing Yjs client: the sum of all deltas that client made.
 * A client only sets its own slot, so concurrent adjustments from different replicas never
 * overwrite each other; the value is the sum of all slots.
 */
import type * as Y from 'yjs';
import { SERVER_IDENTITY } from './serverIdentity.js';
import {
  ENTRY_OK,
  isObject,
  refuseEntry,
  valueChange,
  combineValues,
  compareValues,
  type CounterPatch,
  type FieldOps,
  type FieldSpec,
} from './fieldKind.js';

export type CounterMap = Y.Map<unknown>;

/** Largest magnitude of one counter slot (a writer's running sum of deltas): 10^15 units. */
export const MAX_COUNTER_SLOT = 1e15;

/**
 * The sum of all well-formed slots, computed exactly: a sum beyond the safe integers is returned as
 * the nearest number (not a safe integer), which the schema then refuses and compensation repairs.
 */
export function readCounter(map: CounterMap): number {
  let total = 0;
  let exact = true;
  map.forEach((raw) => {
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return;
    total += raw;
    if (!Number.isSafeInteger(total)) exact = false;
  });
  if (exact) return total;
  let big = 0n;
  map.forEach((raw) => {
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) big += BigInt(raw);
  });
  return Number(big);
}

/** Add `delta` (a safe integer, may be negative) to this client's slot. */
export function adjustCounter(map: CounterMap, delta: number): void {
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`adjustCounter: delta must be a safe integer, got ${delta}`);
  const doc = map.doc;
  if (!doc) throw new Error('adjustCounter: the counter map is not attached to a Y.Doc');
  if (delta === 0) return;
  const key = String(doc.clientID);
  const own = map.get(key);
  map.set(key, (typeof own === 'number' && Number.isSafeInteger(own) ? own : 0) + delta);
}

/** The key of a settlement slot (CTR5). */
export function settlementKey(id: string): string {
  return `settle:${id}`;
}

/**
 * A settlement (CTR5): the server's delta for one business event — an order's units leaving stock —
 * under a key of its own, `settle:<id>`. Writing it again changes nothing, so a step that runs
 * twice after a crash takes the units off once.
 */
export function settleCounter(map: CounterMap, id: string, delta: number): void {
  if (!Number.isSafeInteger(delta))
    throw new RangeError(`settleCounter: delta must be a safe integer, got ${delta}`);
  const key = settlementKey(id);
  if (map.get(key) !== delta) map.set(key, delta);
}

/**
 * Make the counter read `target` by setting the server's own slot, with exact (BigInt) sums. Should
 * the other slots be so large that no safe value of the server's slot reaches the target, the
 * largest of them are dropped until one does: compensation always ends with a valid counter.
 */
export function compensateCounter(map: CounterMap, target: number, serverClient: number): void {
  const own = String(serverClient);
  const others: [string, bigint][] = [];
  const junk: string[] = [];
  map.forEach((raw, key) => {
    if (key === own) return;
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) others.push([key, BigInt(raw)]);
    else junk.push(key);
  });
  for (const key of junk) map.delete(key);
  const abs = (v: bigint) => (v < 0n ? -v : v);
  others.sort((a, b) => (abs(b[1]) > abs(a[1]) ? 1 : abs(b[1]) < abs(a[1]) ? -1 : 0));
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  let rest = others.reduce((sum, [, v]) => sum + v, 0n);
  let need = BigInt(target) - rest;
  for (const [key, value] of others) {
    if (abs(need) <= max) break;
    map.delete(key);
    rest -= value;
    need = BigInt(target) - rest;
  }
  if (map.get(own) !== Number(need)) map.set(own, Number(need));
}

type CounterSpec = Extract<FieldSpec, { kind: 'counter' }>;

export const counterField: FieldOps<CounterSpec> = {
  prefix: 'c',
  type: (doc, typeName) => doc.getMap<unknown>(typeName),
  read: (doc, typeName) => readCounter(doc.getMap<unknown>(typeName)),
  checkPatch(_spec, field, value) {
    if (!isObject(value) || Object.keys(value).some((k) => k !== 'delta')) {
      return [{ field, code: 'invalid_type', message: 'expected {"delta": <integer>}' }];
    }
    if (typeof value.delta !== 'number' || !Number.isSafeInteger(value.delta)) {
      return [
        { field: `${field}.delta`, code: 'invalid_type', message: 'delta must be an integer' },
      ];
    }
    return [];
  },
  apply(doc, typeName, _spec, value) {
    adjustCounter(doc.getMap<unknown>(typeName), (value as CounterPatch).delta);
    return undefined;
  },
  patchTo(_spec, from, to) {
    const delta = Number(to ?? 0) - Number(from ?? 0);
    return delta === 0 || !Number.isSafeInteger(delta) ? undefined : { delta };
  },
  repair: (_spec, current) =>
    typeof current === 'number' && Number.isSafeInteger(current) ? current : 0,
  compensate(doc, typeName, _spec, target) {
    compensateCounter(
      doc.getMap<unknown>(typeName),
      typeof target === 'number' ? target : 0,
      doc.clientID,
    );
  },
  checkEntry(field, key, value, w) {
    if (key.startsWith('settle:') && w.user !== SERVER_IDENTITY)
      return refuseEntry('forged_identity', `${field}: settlements are the server's (CTR5)`);
    if (key !== String(w.client) && !key.startsWith('settle:')) {
      return refuseEntry(
        'forged_identity',
        `${field}: a counter slot must be keyed by its writer's client id`,
      );
    }
    if (
      typeof value !== 'number' ||
      !Number.isSafeInteger(value) ||
      Math.abs(value) > MAX_COUNTER_SLOT
    ) {
      return refuseEntry(
        'malformed_entry',
        `${field}: a counter slot is an integer of at most ${MAX_COUNTER_SLOT} in magnitude`,
      );
    }
    return ENTRY_OK;
  },
  change: valueChange,
  combine: combineValues,
  // Undo this change's own difference, keeping everyone else's since (REV1).
  revert(spec, change) {
    return this.patchTo(spec, change.to, change.from);
  },
  compare: compareValues,
  describe({ from, to }) {
    const delta = Number(to ?? 0) - Number(from ?? 0);
    return `${String(from ?? 0)} → ${String(to ?? 0)} (${delta >= 0 ? '+' : ''}${delta})`;
  },
};
