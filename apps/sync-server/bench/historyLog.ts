/**
 * A long, realistic history for the `history` scenario, written straight into a Concord SQLite
 * store as the server would have left it: entries of five people typing a description keystroke by
 * keystroke, changing prices and names, with pauses between sessions; each entry with its real
 * Yjs update and recorded field changes; a snapshot every 1,000 entries (SNAPSHOT_EVERY).
 */
import * as Y from 'yjs';
import {
  HybridClock,
  applyPatch,
  productKind,
  type FieldChange,
  type Patch,
} from '@concord/shared';
import type { NewEntry } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';

const USERS = ['ana', 'ben', 'cy', 'dee', 'eli'];
const SNAPSHOT_EVERY = 1_000;

export async function writeLongHistory(
  dbPath: string,
  docName: string,
  count: number,
): Promise<void> {
  const store = new SqliteEventStore(dbPath);
  const doc = new Y.Doc();
  const clocks = new Map(USERS.map((u) => [u, new HybridClock({ replicaId: u })]));
  let pending: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => pending.push(u));
  let ts = Date.now() - count * 3_000;
  let batch: NewEntry[] = [];
  let written = 0;
  // The fields' values as they go (materializing a long text per entry would dominate).
  const values = { name: '', description: '', priceCents: 0 };
  for (let i = 0; i < count; i++) {
    // Sessions of 200 entries by one person, then a pause of six minutes.
    const user = USERS[Math.floor(i / 200) % USERS.length]!;
    ts += i % 200 === 0 ? 6 * 60_000 : 2_000;
    const roll = i % 10;
    let patch: Patch;
    let changes: FieldChange[];
    if (i === 0) {
      patch = { name: 'History benchmark product', sku: 'HIST-1', status: 'active' };
      changes = [
        { field: 'name', from: '', to: patch.name! },
        { field: 'sku', from: '', to: 'HIST-1' },
        { field: 'status', from: 'draft', to: 'active' },
      ];
      values.name = 'History benchmark product';
    } else if (roll < 7) {
      // One keystroke at the end of the description (what the server records: the splice).
      const key = 'abcdefghij '[i % 11]!;
      patch = { description: values.description + key };
      changes = [{ field: 'description', at: values.description.length, from: '', to: key }];
      values.description += key;
    } else if (roll < 9) {
      const price = 1_000 + (i % 5_000);
      patch = { priceCents: price };
      changes = [{ field: 'priceCents', from: values.priceCents, to: price }];
      values.priceCents = price;
    } else {
      const name = `History benchmark product ${i}`;
      patch = { name };
      changes = [{ field: 'name', from: values.name, to: name }];
      values.name = name;
    }
    applyPatch(doc, productKind, patch, { clock: clocks.get(user)!, writer: user });
    const update = pending.length === 1 ? pending[0]! : Y.mergeUpdates(pending);
    pending = [];
    batch.push({ update, user, ts, kind: 'edit', changes });
    if (batch.length === SNAPSHOT_EVERY || i === count - 1) {
      await store.append([{ doc: docName, entries: batch }]);
      written += batch.length;
      batch = [];
      await store.saveSnapshot(docName, { seq: written, state: Y.encodeStateAsUpdate(doc) });
    }
  }
  doc.destroy();
  await store.close();
}
