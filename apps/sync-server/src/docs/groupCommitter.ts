/**
 * Group commit (the persist stage): appends requested during one turn of the event loop are
 * written in one store transaction; with `windowMs`, commits start at most that often, so under
 * load everything requested within a window shares one transaction and one fsync, while the first
 * append after a quiet window is committed at once. While a commit is in flight, new requests gather for the next
 * one, so a slow disk batches more instead of queueing commits. Order per document is the order of
 * `enqueue`; requests for one document are merged into one batch, except a conditional one
 * (`ifHead`), which stays its own so its precondition is checked where it stands.
 */
import { nextTurn } from '../yielder.js';
import type {
  AppendBatch,
  AppendOutcome,
  ClientClaim,
  EventStore,
  NewEntry,
} from '../store/eventStore.js';

interface Pending {
  readonly batch: AppendBatch;
  resolve(outcome: AppendOutcome): void;
  reject(error: unknown): void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private lastStart = -Infinity;

  constructor(
    private readonly store: EventStore,
    private readonly observe: (entries: number, seconds: number) => void = () => {},
    private readonly windowMs = 0,
  ) {}

  /** Resolves with this batch's outcome; rejects when the store failed the whole commit. */
  enqueue(batch: AppendBatch): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything enqueued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      if (this.flushing) await this.flushing;
      else await nextTurn();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.lastStart = performance.now();
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    };
    const wait = this.lastStart + this.windowMs - performance.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    const pending = this.queue;
    this.queue = [];
    if (pending.length === 0) return;
    // One batch per document (in first-request order), plus one per conditional request.
    type Group = { batch: AppendBatch; members: Pending[] };
    const groups: Group[] = [];
    const open = new Map<string, Group & { entries: NewEntry[]; claims: ClientClaim[] }>();
    for (const p of pending) {
      const group = p.batch.ifHead === undefined ? open.get(p.batch.doc) : undefined;
      if (group) {
        group.entries.push(...p.batch.entries);
        group.claims.push(...(p.batch.claims ?? []));
        group.members.push(p);
        continue;
      }
      if (p.batch.ifHead !== undefined) {
        groups.push({ batch: p.batch, members: [p] });
        open.delete(p.batch.doc);
        continue;
      }
      const entries = [...p.batch.entries];
      const claims = [...(p.batch.claims ?? [])];
      const fresh = { batch: { doc: p.batch.doc, entries, claims }, members: [p], entries, claims };
      groups.push(fresh);
      open.set(p.batch.doc, fresh);
    }
    const started = process.hrtime.bigint();
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.store.append(groups.map((g) => g.batch));
    } catch (error) {
      for (const p of pending) p.reject(error);
      return;
    }
    this.observe(
      pending.reduce((n, p) => n + p.batch.entries.length, 0),
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    groups.forEach((group, i) => {
      const outcome = outcomes[i] ?? { ok: false, code: 'failed', message: 'no outcome' };
      let at = 0;
      for (const p of group.members) {
        if (!outcome.ok) {
          p.resolve(outcome);
          continue;
        }
        const n = p.batch.entries.length;
        p.resolve({ ok: true, entries: outcome.entries.slice(at, at + n) });
        at += n;
      }
    });
  }
}
