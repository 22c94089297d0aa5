/** In-memory EventStore: the second implementation of the seam, for tests and tools. */
import type {
  AppendBatch,
  DocHead,
  EventStore,
  LogEntry,
  Snapshot,
  StoredResponse,
} from './eventStore.js';

export class MemoryEventStore implements EventStore {
  private readonly logs = new Map<string, LogEntry[]>();
  private readonly snapshots = new Map<string, Snapshot[]>();
  private readonly idempotency = new Map<string, StoredResponse>();
  private closed = false;

  async append(batches: readonly AppendBatch[]): Promise<LogEntry[][]> {
    this.check();
    return batches.map(({ doc, entries }) => {
      let log = this.logs.get(doc);
      if (!log) this.logs.set(doc, (log = []));
      const start = log.length;
      const written = entries.map((e, i) => ({
        ...e,
        update: new Uint8Array(e.update),
        doc,
        seq: start + i + 1,
      }));
      log.push(...written);
      return written;
    });
  }

  async load(doc: string, atSeq = Number.MAX_SAFE_INTEGER) {
    this.check();
    const snapshot = (this.snapshots.get(doc) ?? []).filter((s) => s.seq <= atSeq).at(-1);
    const from = snapshot?.seq ?? 0;
    const tail = (this.logs.get(doc) ?? []).filter((e) => e.seq > from && e.seq <= atSeq);
    return { snapshot, tail };
  }

  async readLog(doc: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    this.check();
    return (this.logs.get(doc) ?? []).filter((e) => e.seq > afterSeq).slice(0, limit);
  }

  async saveSnapshot(doc: string, snapshot: Snapshot): Promise<void> {
    this.check();
    const list = this.snapshots.get(doc) ?? [];
    if (!list.some((s) => s.seq === snapshot.seq))
      list.push({ seq: snapshot.seq, state: new Uint8Array(snapshot.state) });
    list.sort((a, b) => a.seq - b.seq);
    this.snapshots.set(doc, list);
  }

  async head(doc: string): Promise<DocHead | undefined> {
    this.check();
    const last = this.logs.get(doc)?.at(-1);
    return last ? { doc, seq: last.seq, updatedAt: last.ts } : undefined;
  }

  async listDocs(prefix: string): Promise<DocHead[]> {
    this.check();
    const heads: DocHead[] = [];
    for (const doc of [...this.logs.keys()].sort()) {
      const head = doc.startsWith(prefix) ? await this.head(doc) : undefined;
      if (head) heads.push(head);
    }
    return heads;
  }

  async getIdempotent(key: string): Promise<StoredResponse | undefined> {
    this.check();
    return this.idempotency.get(key);
  }

  async putIdempotent(key: string, response: StoredResponse): Promise<StoredResponse> {
    this.check();
    const existing = this.idempotency.get(key);
    if (existing) return existing;
    this.idempotency.set(key, response);
    return response;
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new Error('MemoryEventStore is closed');
  }
}
