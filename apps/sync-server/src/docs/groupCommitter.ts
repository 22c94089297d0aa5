/**
 * Group commit: appends requested during one turn of the event loop are written in one store
 * transaction. While a commit is in flight, new requests gather for the next one, so a slow disk
 * batches more instead of queueing commits. Order per document is the order of `enqueue`.
 */
import type { AppendBatch, EventStore, LogEntry, NewEntry } from '../store/eventStore.js';

interface Pending {
  readonly doc: string;
  readonly entries: readonly NewEntry[];
  resolve(entries: LogEntry[]): void;
  reject(error: unknown): void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly store: EventStore,
    private readonly observe: (entries: number, seconds: number) => void = () => {},
  ) {}

  enqueue(doc: string, entries: readonly NewEntry[]): Promise<LogEntry[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ doc, entries, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything enqueued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      if (this.flushing) await this.flushing;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // Merge requests for the same document into one batch, keeping order.
    const byDoc = new Map<string, NewEntry[]>();
    for (const p of batch) {
      const list = byDoc.get(p.doc);
      if (list) list.push(...p.entries);
      else byDoc.set(p.doc, [...p.entries]);
    }
    const batches: AppendBatch[] = [...byDoc].map(([doc, entries]) => ({ doc, entries }));
    const started = process.hrtime.bigint();
    try {
      const written = await this.store.append(batches);
      this.observe(
        batch.reduce((n, p) => n + p.entries.length, 0),
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      const cursor = new Map(batches.map((b, i) => [b.doc, { list: written[i] ?? [], at: 0 }]));
      for (const p of batch) {
        const c = cursor.get(p.doc)!;
        p.resolve(c.list.slice(c.at, c.at + p.entries.length));
        c.at += p.entries.length;
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
