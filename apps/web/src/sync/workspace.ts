/**
 * Everything one signed-in person works with in this tab: local storage, the online manager, the
 * tab's hybrid clock, the API client, open document sessions (ref-counted), the catalog list and
 * the background work (catch-up of all documents, pushing documents with unsaved edits).
 */
import * as Y from 'yjs';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  applyPatch,
  HybridClock,
  Origin,
  orderKind,
  productKind,
  type DocumentKind,
  type Patch,
  parseDocName,
  type BulkChange,
} from '@concord/shared';
import { ApiClient } from '../api/client';
import type { DocMeta, DocStorage } from '../storage/docStorage';
import { StorageFullError, summaryStale } from '../storage/docStorage';
import type { StorageHealthMonitor } from '../storage/storageHealth';
import { bulkEdit, type BulkResult } from './bulkEdit';
import { catchUp } from './catchUp';
import { deriveAgain } from './deriveAgain';
import { flushDocument } from './flushDocument';
import { DocSession, type SessionDeps } from './docSession';
import type { OnlineManager } from './onlineManager';
import type { SessionUser } from '@concord/shared';
import type { SessionAuth } from './sessionAuth';
import { statusText, type Connection, type StatusText } from './syncStatus';
import { summarize } from './summary';

export interface CatalogState {
  /** Metadata of every known document, by name. */
  readonly docs: ReadonlyMap<string, DocMeta>;
  readonly loaded: boolean;
  readonly catchUp: Connection;
  readonly lastError?: string;
  readonly storageError?: string;
  /** The catch-up under way: documents brought up to date of those behind (none: idle). */
  readonly progress?: { readonly kind: string; readonly done: number; readonly total: number };
}

export interface WorkspaceOptions {
  readonly storage: DocStorage;
  readonly online: OnlineManager;
  readonly user: SessionUser;
  readonly auth: SessionAuth;
  readonly wsUrl: string;
  readonly api?: ApiClient;
  readonly catchUpIntervalMs?: number;
  /** The clock register stamps are made with (default: the device's). */
  readonly now?: () => number;
  /** How this device's storage is doing (the Storage panel); none in tests. */
  readonly health?: StorageHealthMonitor;
}

const FLUSH_CONCURRENCY = 3;
/** Healed documents recorded (and rendered) together. */
const HEAL_BATCH = 100;

export class Workspace {
  readonly clock: HybridClock;
  readonly api: ApiClient;
  readonly catalog: StoreApi<CatalogState>;
  readonly storage: DocStorage;
  readonly online: OnlineManager;
  readonly user: SessionUser;
  readonly health: StorageHealthMonitor | undefined;
  private readonly sessions = new Map<string, { session: Promise<DocSession>; refs: number }>();
  private readonly flushing = new Set<string>();
  private readonly channel: BroadcastChannel | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private destroyed = false;
  private unsubscribeOnline: () => void;

  constructor(private readonly options: WorkspaceOptions) {
    this.clock = new HybridClock({
      replicaId: `tab-${crypto.randomUUID().slice(0, 8)}`,
      ...(options.now ? { physicalNow: options.now } : {}),
    });
    this.storage = options.storage;
    this.online = options.online;
    this.user = options.user;
    this.health = options.health;
    this.api =
      options.api ??
      new ApiClient(() => options.auth.token(), {
        renew: () => options.auth.refresh(),
        user: () => options.user.id,
      });
    this.catalog = createStore<CatalogState>(() => ({
      docs: new Map(),
      loaded: false,
      catchUp: options.online.isOnline() ? 'connecting' : 'offline',
    }));
    this.channel =
      typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('concord-catalog');
    if (this.channel) {
      this.channel.onmessage = (event: MessageEvent<DocMeta | DocMeta[]>) =>
        this.setMetas(Array.isArray(event.data) ? event.data : [event.data], false);
    }
    this.unsubscribeOnline = options.online.subscribe((online) => {
      this.catalog.setState({ catchUp: online ? 'connecting' : 'offline' });
      if (online) this.kick();
    });
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', this.onPageHidden);
      window.addEventListener('pagehide', this.onPageHidden);
    }
  }

  /**
   * The page is hidden or going away. No IndexedDB write waits in the page (each is issued when
   * it is made, an update's own transaction committed explicitly), so there is nothing to flush
   * locally; unsaved edits are pushed to the server now, as a hidden tab may be frozen or
   * discarded before the next periodic run.
   */
  private onPageHidden = (): void => {
    if (document.visibilityState === 'hidden' && this.online.isOnline()) this.kick();
  };

  async start(): Promise<void> {
    const metas = await this.storage.allMeta();
    this.catalog.setState({ docs: new Map(metas.map((m) => [m.doc, m])), loaded: true });
    const interrupted = new Set(await this.storage.interrupted());
    const stale = new Set([...metas.filter(summaryStale).map((m) => m.doc), ...interrupted]);
    void this.heal([...stale], interrupted);
    this.kick();
  }

  /**
   * Derives again what a document's metadata says of it, from its stored updates (DERIVE1–2): a
   * summary older than the document, and after an append the page did not finish, also its
   * pending edits (everything the server has not acknowledged). The list heals by itself after a
   * crash, a closed tab or an older version of the app.
   */
  private async heal(docs: readonly string[], interrupted: ReadonlySet<string>): Promise<void> {
    // One list update per batch of healed documents, not one render per document.
    let healed: DocMeta[] = [];
    for (const name of docs) {
      if (this.destroyed) return;
      const parsed = parseDocName(name);
      if (!parsed.ok) continue;
      try {
        healed.push(await deriveAgain(this.storage, name, parsed.name, interrupted.has(name)));
      } catch (error) {
        this.noteStorageError(error);
        console.warn('could not heal the metadata of', name, error);
      }
      if (healed.length >= HEAL_BATCH) {
        this.setMetas(healed, true);
        healed = [];
      }
    }
    this.setMetas(healed, true);
  }

  /** A full disk is said where every storage problem is said (the top bar, the Storage panel). */
  private noteStorageError(error: unknown): void {
    if (error instanceof StorageFullError) this.catalog.setState({ storageError: error.message });
  }

  private sessionDeps(presence: boolean): SessionDeps {
    return {
      storage: this.storage,
      online: this.online,
      clock: this.clock,
      user: this.user,
      auth: this.options.auth,
      wsUrl: this.options.wsUrl,
      presence,
      onMeta: (meta) => this.setMeta(meta, true),
    };
  }

  /** Records a document's metadata (and tells the other tabs). */
  setMeta(meta: DocMeta, broadcast: boolean): void {
    this.setMetas([meta], broadcast);
  }

  /** Records many documents' metadata at once: one new list, one render (and one message). */
  setMetas(metas: readonly DocMeta[], broadcast: boolean): void {
    if (metas.length === 0) return;
    const docs = new Map(this.catalog.getState().docs);
    for (const meta of metas) docs.set(meta.doc, meta);
    this.catalog.setState({ docs });
    if (broadcast) this.channel?.postMessage(metas);
  }

  /**
   * Records metadata this tab wrote (catch-up, bulk edits) and tells the other tabs; a summary
   * left stale because another tab appended at the same time is derived again (DERIVE1).
   */
  private recordMetas(metas: readonly DocMeta[]): void {
    this.setMetas(metas, true);
    const stale = metas.filter(summaryStale).map((m) => m.doc);
    if (stale.length > 0) void this.heal(stale, new Set());
  }

  /**
   * Applies one change to many products as ordinary local edits (offline too), then pushes them
   * like any other unsaved edit (BULK1).
   */
  async bulkEdit(
    docs: readonly string[],
    change: BulkChange,
    onProgress?: (done: number) => void,
  ): Promise<BulkResult> {
    try {
      return await bulkEdit(
        {
          storage: this.storage,
          clock: this.clock,
          writer: this.user.id,
          onMetas: (metas) => this.recordMetas(metas),
        },
        docs,
        change,
        onProgress,
      );
    } catch (error) {
      this.noteStorageError(error);
      throw error;
    } finally {
      this.kick();
    }
  }

  /** Opens (or shares) the live session of a document. Pair with `release`. */
  acquire(name: string): Promise<DocSession> {
    const entry = this.sessions.get(name);
    if (entry) {
      entry.refs++;
      return entry.session;
    }
    const session = DocSession.open(name, this.sessionDeps(true));
    this.sessions.set(name, { session, refs: 1 });
    return session;
  }

  release(name: string): void {
    const entry = this.sessions.get(name);
    if (!entry) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.sessions.delete(name);
    void entry.session.then((s) => s.destroy());
    this.kick();
  }

  /** Creates a product locally (works offline); it reaches the server with the next flush. */
  async createProduct(initial: { name?: string } = {}): Promise<string> {
    const id = `p-${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await this.createDoc(`product:${id}`, productKind, {
      name: initial.name ?? 'Untitled product',
      status: 'draft',
      currency: 'EUR',
      priceCents: 0,
    });
    return id;
  }

  /** Writes a new document's first edit locally, with its pending record and summary. */
  private async createDoc(name: string, kind: DocumentKind<object>, patch: Patch): Promise<void> {
    const doc = new Y.Doc();
    let update: Uint8Array | undefined;
    doc.on('update', (u: Uint8Array) => (update = u));
    applyPatch(doc, kind, patch, { clock: this.clock, writer: this.user.id }, Origin.local);
    const clock = Y.getState(doc.store, doc.clientID);
    const parsed = parseDocName(name);
    if (!update || !parsed.ok) throw new Error(`creating ${name}: nothing written`);
    const summary = summarize(doc, parsed.name);
    doc.destroy();
    try {
      const meta = await this.storage.appendUpdate(name, update, (m) => ({
        ...m,
        pending: [...m.pending, [doc.clientID, clock] as const],
        summary,
        summarized: (m.stored ?? 0) + 1,
        updatedAt: Date.now(),
      }));
      this.setMeta(meta, true);
    } catch (error) {
      this.noteStorageError(error);
      throw error;
    }
    this.kick();
  }

  /** Creates an order draft locally (works offline); placing it is a server command. */
  async createOrder(): Promise<string> {
    const id = `o-${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await this.createDoc(`order:${id}`, orderKind, { customer: '' });
    return id;
  }

  /** A person's name as their profile says (names come from accounts), else their id. */
  displayName(userId: string): string {
    const summary = this.catalog.getState().docs.get(`profile:${userId}`)?.summary;
    const name = summary && 'displayName' in summary ? summary.displayName : '';
    return name || userId;
  }

  /** Total unsaved local edits across all documents (open sessions included). */
  unsavedTotal(): number {
    let n = 0;
    for (const m of this.catalog.getState().docs.values()) n += m.pending.length;
    return n;
  }

  /** The sync status when no document is open. */
  catalogStatus(): StatusText {
    const online = this.online.isOnline();
    const state = this.catalog.getState();
    return statusText({
      online,
      connection: state.catchUp,
      acked: state.catchUp === 'connected',
      unsaved: this.unsavedTotal(),
    });
  }

  /** Runs catch-up and flushing now (and then periodically). */
  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick(): Promise<void> {
    if (this.destroyed || this.running) return;
    this.running = true;
    try {
      if (this.online.isOnline()) {
        for (const kind of ['product', 'profile', 'order'] as const) {
          await catchUp(
            this.api,
            this.storage,
            kind,
            (metas) => this.recordMetas(metas),
            (p) =>
              this.catalog.setState({
                progress: p.done < p.total ? { kind, ...p } : undefined,
              }),
            // Once loaded, the catalog holds every stored record (this tab's and, over the
            // channel, the other tabs' writes): no need to read them all again every run.
            () => (this.catalog.getState().loaded ? this.catalog.getState().docs : undefined),
          );
        }
        this.catalog.setState({ catchUp: 'connected', lastError: undefined });
        this.flushPending();
      }
    } catch (error) {
      // A full disk stops the download.
      this.noteStorageError(error);
      this.catalog.setState({
        catchUp: this.online.isOnline() ? 'connecting' : 'offline',
        lastError: error instanceof Error ? error.message : String(error),
        // Cut short: it resumes with the documents still behind on the next run.
        progress: undefined,
      });
      this.online.check();
    } finally {
      this.running = false;
      if (!this.destroyed) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.tick(), this.options.catchUpIntervalMs ?? 3000);
      }
    }
  }

  /** Opens a short-lived session for documents with unsaved edits that no screen has open. */
  private flushPending(): void {
    const candidates = [...this.catalog.getState().docs.values()].filter(
      (m) => m.pending.length > 0 && !this.sessions.has(m.doc) && !this.flushing.has(m.doc),
    );
    for (const meta of candidates.slice(0, FLUSH_CONCURRENCY - this.flushing.size)) {
      this.flushing.add(meta.doc);
      void flushDocument(() => DocSession.open(meta.doc, this.sessionDeps(false)))
        .catch(() => false)
        .then((saved) => {
          this.flushing.delete(meta.doc);
          // The next document at once, not at the next tick: a bulk edit leaves hundreds
          // behind. After a failure, the next tick tries again.
          if (saved && !this.destroyed && this.online.isOnline()) this.flushPending();
        });
    }
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    clearTimeout(this.timer);
    this.unsubscribeOnline();
    if (typeof document !== 'undefined') {
      document.removeEventListener('visibilitychange', this.onPageHidden);
      window.removeEventListener('pagehide', this.onPageHidden);
    }
    this.channel?.close();
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map(async (e) => (await e.session).destroy()));
  }
}
