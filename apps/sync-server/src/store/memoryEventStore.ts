/** In-memory EventStore: the second implementation of the seam, for tests and tools. */
import type {
  BlameIndex,
  AppendBatch,
  AppendOutcome,
  ClientClaim,
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
  private readonly blame = new Map<string, BlameIndex>();
  private readonly owned = new Map<string, Map<number, string>>();
  private closed = false;

  async append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]> {
    this.check();
    return batches.map(({ doc, entries, claims, ifHead }): AppendOutcome => {
      const log = this.logs.get(doc) ?? [];
      if (ifHead !== undefined && ifHead !== log.length) {
        return {
          ok: false,
          code: 'head_moved',
          message: `the document moved on: version ${log.length}, expected ${ifHead}`,
        };
      }
      const owners = this.owned.get(doc) ?? new Map<number, string>();
      for (const c of claims ?? []) {
        const user = owners.get(c.client);
        if (user !== undefined && user !== c.user) {
          return {
            ok: false,
            code: 'owner_conflict',
            message: `client id ${c.client} belongs to another user`,
          };
        }
      }
      for (const c of claims ?? []) if (!owners.has(c.client)) owners.set(c.client, c.user);
      this.owned.set(doc, owners);
      const written = entries.map((e, i) => ({
        ...e,
        update: new Uint8Array(e.update),
        doc,
        seq: log.length + i + 1,
      }));
      log.push(...written);
      if (log.length > 0) this.logs.set(doc, log);
      return { ok: true, entries: written };
    });
  }

  async owners(doc: string): Promise<ClientClaim[]> {
    this.check();
    return [...(this.owned.get(doc) ?? new Map<number, string>())].map(([client, user]) => ({
      client,
      user,
    }));
  }

  async readLogBackwards(doc: string, beforeSeq: number, limit: number): Promise<LogEntry[]> {
    this.check();
    return (this.logs.get(doc) ?? [])
      .filter((e) => e.seq < beforeSeq)
      .reverse()
      .slice(0, limit);
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
      list.push({
        seq: snapshot.seq,
        state: new Uint8Array(snapshot.state),
        ...(snapshot.schemaVersion === undefined ? {} : { schemaVersion: snapshot.schemaVersion }),
      });
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

  async getBlame(doc: string): Promise<BlameIndex | undefined> {
    this.check();
    return this.blame.get(doc);
  }

  async putBlame(doc: string, index: BlameIndex): Promise<void> {
    this.check();
    if ((this.blame.get(doc)?.seq ?? -1) < index.seq) this.blame.set(doc, index);
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
