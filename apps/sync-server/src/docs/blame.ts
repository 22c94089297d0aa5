/**
 * Field-level blame (SPEC BLAME1): who last changed each field, when, from what. Answered from the
 * stored index (EventStore getBlame/putBlame), which is derived from the log: it is brought up to
 * the log's head from where it was built to, reading only the entries since, and stored again. A
 * lost or stale index heals on the next question; dropping it rebuilds it from the whole log.
 */
import type { BlameEntry, BlameIndex, EventStore } from '../store/eventStore.js';
import { nextTurn } from '../yielder.js';

const CHUNK = 1_000;

/** The blame index of `doc`, brought up to the head of its log. */
export async function blameOf(store: EventStore, doc: string): Promise<BlameIndex> {
  const [head, stored] = await Promise.all([store.head(doc), store.getBlame(doc)]);
  const index = stored ?? { seq: 0, fields: {} };
  if (!head || index.seq >= head.seq) return index;
  const fields: Record<string, BlameEntry> = { ...index.fields };
  let seq = index.seq;
  for (;;) {
    const chunk = await store.readLog(doc, seq, CHUNK);
    for (const e of chunk) {
      for (const change of e.changes)
        fields[change.field] = { seq: e.seq, user: e.user, ts: e.ts, kind: e.kind, change };
      seq = e.seq;
    }
    if (chunk.length < CHUNK || seq >= head.seq) break;
    // A long catch-up (a first question on a long log) lets other work run between chunks.
    await nextTurn();
  }
  const next = { seq, fields };
  await store.putBlame(doc, next);
  return next;
}
