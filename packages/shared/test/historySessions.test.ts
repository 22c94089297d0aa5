import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SESSION_PAUSE_MS,
  combineChanges,
  groupSessions,
  productKind,
  type FieldChange,
  type SessionEntry,
} from '../src/index.js';

const MIN = 60_000;
let seq = 0;
const entry = (
  user: string,
  ts: number,
  changes: FieldChange[],
  kind: SessionEntry['kind'] = 'edit',
  reason?: string,
): SessionEntry => ({ seq: ++seq, user, ts, kind, changes, ...(reason ? { reason } : {}) });
const price = (from: number, to: number): FieldChange => ({ field: 'priceCents', from, to });
const typed = (at: number, to: string, from = ''): FieldChange => ({
  field: 'description',
  at,
  from,
  to,
});

describe('editing sessions (SES1)', () => {
  it('one person without a pause longer than 5 minutes is one session; a longer pause starts another', () => {
    const t = 1_000_000;
    const sessions = groupSessions(productKind, [
      entry('ana', t, [price(0, 100)]),
      entry('ana', t + 4 * MIN, [price(100, 200)]),
      entry('ana', t + 8 * MIN, [price(200, 300)]),
      entry('ana', t + 8 * MIN + SESSION_PAUSE_MS + 1, [price(300, 400)]),
    ]);
    expect(sessions.map((s) => [s.count, s.start, s.end])).toEqual([
      [3, t, t + 8 * MIN],
      [1, t + 8 * MIN + SESSION_PAUSE_MS + 1, t + 8 * MIN + SESSION_PAUSE_MS + 1],
    ]);
    expect(sessions[0]!.changes).toEqual([price(0, 300)]);
  });

  it('interleaved people make separate sessions', () => {
    const sessions = groupSessions(productKind, [
      entry('ana', 1, [price(0, 1)]),
      entry('ben', 2, [price(1, 2)]),
      entry('ana', 3, [price(2, 3)]),
      entry('ana', 4, [price(3, 4)]),
    ]);
    expect(sessions.map((s) => `${s.user}×${s.count}`)).toEqual(['ana×1', 'ben×1', 'ana×2']);
  });

  it('a compensation joins the session it corrected and is marked; restores stand alone; HTTP patches group with patches only', () => {
    const sessions = groupSessions(productKind, [
      entry('ana', 1, [price(0, -5)]),
      entry('server', 2, [price(-5, 0)], 'compensation', 'price below zero'),
      entry('ana', 3, [price(0, 50)]),
      entry('ana', 4, [price(50, 0)], 'restore'),
      entry('ana', 5, [price(0, 7)], 'patch'),
      entry('ana', 6, [price(7, 8)], 'patch'),
      entry('ana', 7, [price(8, 9)]),
    ]);
    expect(sessions.map((s) => [s.kind, s.user, s.count])).toEqual([
      ['edit', 'ana', 3],
      ['restore', 'ana', 1],
      ['patch', 'ana', 2],
      ['edit', 'ana', 1],
    ]);
    expect(sessions[0]!.compensations).toEqual(['price below zero']);
    expect(sessions[0]!.changes).toEqual([price(0, 50)]);
  });

  it('a field changed and changed back is not listed; fields keep the order they were first changed in', () => {
    const [s] = groupSessions(productKind, [
      entry('ana', 1, [{ field: 'name', from: 'A', to: 'B' }]),
      entry('ana', 2, [price(0, 10)]),
      entry('ana', 3, [
        { field: 'name', from: 'B', to: 'A' },
        { field: 'tags', from: [], to: ['x'] },
      ]),
    ]);
    expect(s!.changes).toEqual([price(0, 10), { field: 'tags', from: [], to: ['x'] }]);
  });
});

describe('combining text changes (SES2)', () => {
  it('typing a sentence keystroke by keystroke, with a typo fixed, is one insertion', () => {
    const text = 'Solid walnut';
    const keys = [...text].map((ch, i) => typed(i, ch));
    keys.splice(5, 0, typed(5, 'x'), typed(5, '', 'x')); // a typo, then backspace
    const [net] = [combineChanges(productKind, 'description', keys)];
    expect(net).toEqual([{ field: 'description', at: 0, from: '', to: 'Solid walnut' }]);
  });

  it('an edit elsewhere is a second change', () => {
    const net = combineChanges(productKind, 'description', [typed(10, 'abc'), typed(0, 'Z')]);
    expect(net).toEqual([
      { field: 'description', at: 10, from: '', to: 'abc' },
      { field: 'description', at: 0, from: '', to: 'Z' },
    ]);
  });

  it('property: applying the combined changes gives the same text as applying every change', () => {
    const apply = (text: string, changes: readonly { at?: number; from: unknown; to: unknown }[]) =>
      changes.reduce(
        (t, c) => t.slice(0, c.at!) + String(c.to) + t.slice(c.at! + String(c.from).length),
        text,
      );
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 3 })), { maxLength: 40 }),
        (base, ops) => {
          // Random splices, each valid for the text as it is when it happens.
          let text = base;
          const changes: FieldChange[] = [];
          for (const [pos, len, insert] of ops) {
            const at = text.length === 0 ? 0 : pos % (text.length + 1);
            const from = text.slice(at, at + len);
            changes.push(typed(at, insert, from));
            text = text.slice(0, at) + insert + text.slice(at + from.length);
          }
          const net = combineChanges(productKind, 'description', changes);
          expect(apply(base, net)).toBe(apply(base, changes));
          expect(net.length).toBeLessThanOrEqual(changes.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
