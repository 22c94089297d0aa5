import {
  emptyMeta,
  type AppendEntry,
  type DocMeta,
  type DocStorage,
  type StoredDoc,
} from './docStorage';

/** In-memory DocStorage: tests, and a fallback when IndexedDB is unavailable (private mode). */
export class MemoryStorage implements DocStorage {
  private readonly logs = new Map<string, Uint8Array[]>();
  private readonly meta = new Map<string, DocMeta>();

  async loadUpdates(doc: string): Promise<Uint8Array[]> {
    return [...(this.logs.get(doc) ?? [])];
  }

  async appendUpdate(
    doc: string,
    update: Uint8Array,
    change: (old: DocMeta) => DocMeta = (m) => m,
  ): Promise<DocMeta> {
    const log = this.logs.get(doc) ?? [];
    log.push(update.slice());
    this.logs.set(doc, log);
    const old = this.meta.get(doc) ?? emptyMeta(doc);
    const next = { ...change(old), stored: (old.stored ?? 0) + 1 };
    this.meta.set(doc, next);
    return next;
  }

  async appendMany(entries: readonly AppendEntry[]): Promise<DocMeta[]> {
    const out: DocMeta[] = [];
    for (const e of entries) out.push(await this.appendUpdate(e.doc, e.update, e.change));
    return out;
  }

  async readMany(docs: readonly string[]): Promise<Map<string, StoredDoc>> {
    const out = new Map<string, StoredDoc>();
    for (const doc of docs) {
      const meta = this.meta.get(doc);
      out.set(doc, { updates: [...(this.logs.get(doc) ?? [])], ...(meta ? { meta } : {}) });
    }
    return out;
  }

  async countUpdates(doc: string): Promise<number> {
    return this.logs.get(doc)?.length ?? 0;
  }

  async compact(doc: string, merge: (updates: Uint8Array[]) => Uint8Array): Promise<void> {
    const log = this.logs.get(doc);
    if (!log || log.length < 2) return;
    this.logs.set(doc, [merge(log)]);
  }

  async listDocs(prefix = ''): Promise<string[]> {
    const names = new Set([...this.logs.keys(), ...this.meta.keys()]);
    return [...names].filter((n) => n.startsWith(prefix)).sort();
  }

  async getMeta(doc: string): Promise<DocMeta | undefined> {
    return this.meta.get(doc);
  }

  async updateMeta(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    const next = change(this.meta.get(doc) ?? emptyMeta(doc));
    this.meta.set(doc, next);
    return next;
  }

  async allMeta(prefix = ''): Promise<DocMeta[]> {
    return [...this.meta.values()].filter((m) => m.doc.startsWith(prefix));
  }

  /** Nothing in memory outlives its page: no append is ever left half done. */
  async interrupted(): Promise<string[]> {
    return [];
  }

  repaired(doc: string, change: (old: DocMeta) => DocMeta): Promise<DocMeta> {
    return this.updateMeta(doc, change);
  }

  close(): void {}
}
