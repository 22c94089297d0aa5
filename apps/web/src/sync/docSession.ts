/**
 * The sync engine of one open document: a Y.Doc that is loaded from local storage first, writes
 * every update to local storage, shares edits with other tabs, and syncs with the server through
 * y-websocket, tracking the server's durable acknowledgements (message type 100) and error events
 * (type 101) to tell the person exactly what is saved.
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type * as decoding from 'lib0/decoding';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  applyPatch,
  checkPatch,
  closeAdvice,
  CloseCode,
  decodeStateVector,
  documentKinds,
  EXPECTED_USER_PARAM,
  EXTENSION_PARAM,
  EXTENSION_VERSION,
  fromPairs,
  mergeVectors,
  MessageType,
  migrateDocument,
  Origin,
  parseDocName,
  readOnlyReason,
  ReasonCode,
  readErrorEvent,
  readSavedAck,
  SCHEMA_PARAM,
  stillPending,
  toPairs,
  type DocName,
  type DocumentKind,
  type ErrorEvent,
  type FieldIssue,
  type HybridClock,
  type Patch,
  type SessionUser,
  type StateVector,
} from '@concord/shared';
import {
  COMPACT_THRESHOLD,
  StorageFullError,
  summaryStale,
  type DocMeta,
  type DocStorage,
  type PendingEdit,
} from '../storage/docStorage';
import type { OnlineManager } from './onlineManager';
import { statusText, type Connection, type StatusText } from './syncStatus';
import { openTabChannel, type TabChannel } from './tabChannel';
import { summarize } from './summary';
import { colorFor, presenceOf, type PresenceState } from './presence';

export type { PresenceState };
import type { SessionAuth } from './sessionAuth';

export interface SessionDeps {
  readonly storage: DocStorage;
  readonly online: OnlineManager;
  readonly clock: HybridClock;
  readonly user: SessionUser;
  /** The signed-in session: its current token, and a way to renew it. */
  readonly auth: SessionAuth;
  /** ws(s)://host — the document name is appended. */
  readonly wsUrl: string;
  /** Called after the stored metadata of the document changed (catalog list, pending totals). */
  readonly onMeta?: (meta: DocMeta) => void;
  /** Presence: publish who is here (default true; background flushes pass false). */
  readonly presence?: boolean;
  readonly WebSocketPolyfill?: typeof WebSocket;
}

interface ServerMessage {
  readonly id: number;
  readonly event: ErrorEvent;
  readonly at: number;
}

export interface SessionState {
  readonly online: boolean;
  readonly connection: Connection;
  readonly acked: boolean;
  readonly unsaved: number;
  readonly status: StatusText;
  /** Server error events (101), newest last. */
  readonly messages: readonly ServerMessage[];
  /**
   * The document has a newer schema than this app knows (MIG2): shown with a reload button; the
   * document is read-only until then, and edits made before stay on this device.
   */
  readonly upgradeRequired?: string;
  /** The connection was refused for good (bad token, forbidden …). */
  readonly fatal?: string;
  readonly storageError?: string;
  readonly version?: number;
}

let messageIds = 0;

export class DocSession {
  readonly doc = new Y.Doc();
  readonly name: string;
  readonly docName: DocName;
  readonly kind: DocumentKind<object>;
  readonly store: StoreApi<SessionState>;
  readonly readOnlyReason: string | undefined;
  provider: WebsocketProvider | undefined;
  private ack: StateVector = new Map();
  private pending: PendingEdit[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private appendsSinceCompact = 0;
  /**
   * An update failed to be stored (a full disk): the stored log lacks it, and later updates would
   * depend on it. The next write stores the whole document instead, with every pending edit.
   */
  private storageGap = false;
  private tab: TabChannel | undefined;
  private unsubscribeOnline: (() => void) | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeAuth: (() => void) | undefined;
  private destroyed = false;

  private constructor(
    name: string,
    readonly deps: SessionDeps,
  ) {
    const parsed = parseDocName(name);
    if (!parsed.ok) throw new Error(parsed.error);
    this.name = name;
    this.docName = parsed.name;
    this.kind = documentKinds[parsed.name.kind];
    this.readOnlyReason = readOnlyReason(deps.user, parsed.name);
    const online = deps.online.isOnline();
    this.store = createStore<SessionState>(() => ({
      online,
      connection: online ? 'connecting' : 'offline',
      acked: false,
      unsaved: 0,
      status: statusText({ online, connection: 'offline', acked: false, unsaved: 0 }),
      messages: [],
    }));
  }

  /** Loads the document from local storage (no network), then starts syncing. */
  static async open(name: string, deps: SessionDeps): Promise<DocSession> {
    const session = new DocSession(name, deps);
    await session.load();
    session.start();
    return session;
  }

  private async load(): Promise<void> {
    const [updates, meta] = await Promise.all([
      this.deps.storage.loadUpdates(this.name),
      this.deps.storage.getMeta(this.name),
    ]);
    this.doc.transact(() => {
      for (const u of updates) Y.applyUpdate(this.doc, u, Origin.storage);
    }, Origin.storage);
    if (meta) {
      this.ack = fromPairs(meta.ack);
      this.pending = stillPending(meta.pending, this.ack);
    }
    if (updates.length > COMPACT_THRESHOLD) this.compact();
    // Loaded: its summary is recomputed from it, and healed when it was older or different.
    if (updates.length > 0) {
      const summary = summarize(this.doc, this.docName);
      if (!meta || summaryStale(meta) || JSON.stringify(meta.summary) !== JSON.stringify(summary))
        // Unless another tab appended since the load (that append wrote its own summary).
        this.queueMeta((m) =>
          (m.stored ?? 0) === (meta?.stored ?? 0)
            ? { ...m, summary, summarized: m.stored ?? 0 }
            : m,
        );
    }
    this.refresh();
  }

  private start(): void {
    // Registered before the provider's handler: the update is handed to storage first.
    this.doc.on('update', this.onUpdate);
    this.tab = openTabChannel(this.name, this.doc);
    this.migrate();
    const params: Record<string, string> = {
      // A signed-in browser sends its session cookie; only demo and API tokens go in the URL.
      ...(this.deps.auth.token() ? { token: this.deps.auth.token() } : {}),
      // The server refuses this socket if the browser's cookie now names someone else.
      [EXPECTED_USER_PARAM]: this.deps.user.id,
      [EXTENSION_PARAM]: EXTENSION_VERSION,
      [SCHEMA_PARAM]: String(this.kind.schemaVersion),
    };
    const provider = new WebsocketProvider(this.deps.wsUrl, this.name, this.doc, {
      connect: false,
      params,
      disableBc: true, // tabs are linked by tabChannel, which also works without the server
      maxBackoffTime: jitter(2500),
      shouldReconnect: (event) => closeAdvice(event.code) === 'reconnect',
      ...(this.deps.WebSocketPolyfill ? { WebSocketPolyfill: this.deps.WebSocketPolyfill } : {}),
    });
    this.provider = provider;
    // Every (re)connect uses the newest token.
    this.unsubscribeAuth = this.deps.auth.subscribe((token) => {
      if (token) provider.params.token = token;
    });
    provider.messageHandlers[MessageType.savedAck] = (_enc, decoder) => this.onSavedAck(decoder);
    provider.messageHandlers[MessageType.error] = (_enc, decoder) => this.onErrorEvent(decoder);
    provider.on('status', () => this.refresh());
    provider.on('connection-close', (event) => {
      provider.maxBackoffTime = jitter(2500);
      this.store.setState({ acked: false });
      if (event && event.code) void this.onClose(event.code, event.reason);
      // The server may be gone: let the heartbeat confirm quickly.
      if (!this.destroyed) this.deps.online.check();
      this.refresh();
    });
    if (this.deps.presence !== false) {
      provider.awareness.setLocalState({
        user: {
          id: this.deps.user.id,
          name: this.deps.user.name,
          color: colorFor(this.deps.user.id),
        },
        field: null,
      } satisfies PresenceState);
    } else {
      provider.awareness.setLocalState(null);
    }
    this.unsubscribeOnline = this.deps.online.subscribe((online) => this.setOnline(online));
    this.setOnline(this.deps.online.isOnline());
  }

  private setOnline(online: boolean): void {
    if (this.destroyed || !this.provider) return;
    if (online && !this.store.getState().fatal) this.provider.connect();
    if (!online) this.provider.disconnect();
    this.refresh();
  }

  /**
   * Bring a document stored by an older version of the app up to this one's schema (MIG1), as a
   * local edit that is saved like any other; a document from a newer version is left as it is and
   * becomes read-only here (MIG2).
   */
  private migrate(): void {
    if (this.readOnlyReason) return; // the server migrates what people may not write
    const result = migrateDocument(this.doc, this.kind);
    if (!result.ok && result.code === 'newer_schema') this.upgradeRequired();
  }

  private upgradeRequired(): void {
    this.store.setState({
      upgradeRequired:
        'A new version of Concord is available — reload to keep editing. Changes made here are kept.',
    });
  }

  /** Applies a checked patch as a local edit. Returns the issues when the patch is invalid. */
  edit(patch: Patch): FieldIssue[] {
    if (this.readOnlyReason) throw new Error(this.readOnlyReason);
    const upgrade = this.store.getState().upgradeRequired;
    if (upgrade) throw new Error(upgrade);
    const checked = checkPatch(this.kind, patch);
    if (!checked.ok) return checked.issues;
    applyPatch(
      this.doc,
      this.kind,
      checked.value,
      { clock: this.deps.clock, writer: this.deps.user.id },
      Origin.local,
    );
    return [];
  }

  /** Presence: which field the person is in (null = none). */
  setField(field: string | null): void {
    const awareness = this.provider?.awareness;
    if (!awareness || awareness.getLocalState() === null) return;
    awareness.setLocalStateField('field', field);
  }

  /**
   * Everyone else who has this document open (one entry per user). States that are not well
   * formed are skipped, so nothing another client sends can break the editor.
   */
  others(): PresenceState[] {
    const awareness = this.provider?.awareness;
    if (!awareness) return [];
    const seen = new Map<string, PresenceState>();
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === this.doc.clientID) return;
      const p = presenceOf(state);
      if (!p || p.user.id === this.deps.user.id) return;
      const prior = seen.get(p.user.id);
      if (!prior || (prior.field === null && p.field)) seen.set(p.user.id, p);
    });
    return [...seen.values()];
  }

  dismissMessage(id: number): void {
    this.store.setState((s) => ({ messages: s.messages.filter((m) => m.id !== id) }));
  }

  private onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === Origin.storage) return;
    let edits: PendingEdit[] = [];
    if (origin === Origin.local || origin === Origin.migration) {
      edits = [[this.doc.clientID, Y.getState(this.doc.store, this.doc.clientID)]];
      this.tab?.publish(update);
    } else if (origin === Origin.tab) {
      // Another tab's edit: unsaved here too until the server acknowledges it, in memory and in
      // this tab's stored metadata (that tab may close before it is saved). The update's own
      // range per client (a state vector "from the update" only counts clients whose structs
      // start at clock 0).
      edits = [...Y.parseUpdateMeta(update).to];
    }
    if (edits.length > 0) this.pending = stillPending(withEdits(this.pending, edits), this.ack);
    this.persist(update, edits);
    this.refresh();
  };

  /**
   * Stores an update with, in the same write, the catalog summary of the document as it is now
   * and the pending records of the edits it holds: the list never lags the document (DERIVE1).
   * Every write of this session is issued at once (IndexedDB runs them in the order they were
   * issued), so nothing waits in the page for a closing tab to lose.
   */
  private persist(update: Uint8Array, edits: readonly PendingEdit[]): void {
    const summary = summarize(this.doc, this.docName);
    const ack = this.ack;
    const healing = this.storageGap;
    if (healing) {
      // Fill the gap a failed write left: the whole document, and every edit still unsaved.
      update = Y.encodeStateAsUpdate(this.doc);
      edits = this.pending;
      this.storageGap = false;
    }
    const write = this.deps.storage.appendUpdate(this.name, update, (m) => ({
      ...m,
      ...(edits.length > 0
        ? {
            pending: stillPending(withEdits(m.pending, edits), mergeVectors(fromPairs(m.ack), ack)),
          }
        : {}),
      summary,
      summarized: (m.stored ?? 0) + 1,
      updatedAt: Date.now(),
    }));
    write.then(
      () => {
        if (healing) this.store.setState({ storageError: undefined });
      },
      () => {
        this.storageGap = true;
      },
    );
    this.afterWrite(write, () => {
      if (++this.appendsSinceCompact >= COMPACT_THRESHOLD) this.compact();
    });
  }

  private compact(): void {
    this.appendsSinceCompact = 0;
    this.afterWrite(this.deps.storage.compact(this.name, Y.mergeUpdates));
  }

  private queueMeta(change: (m: DocMeta) => DocMeta): void {
    this.afterWrite(this.deps.storage.updateMeta(this.name, change));
  }

  /** Reports a write's metadata once it and every write before it are done. */
  private afterWrite(write: Promise<DocMeta | void>, then?: () => void): void {
    this.writes = Promise.all([this.writes, write])
      .then(([, meta]) => {
        if (meta) this.deps.onMeta?.(meta);
        then?.();
      })
      .catch((error: unknown) => this.onStorageError(error));
  }

  private onStorageError(error: unknown): void {
    console.error('local storage failed', error);
    const message =
      error instanceof StorageFullError
        ? error.message
        : 'Saving on this device failed. Keep this tab open until your changes are saved to the server.';
    this.store.setState({ storageError: message });
  }

  private onSavedAck(decoder: decoding.Decoder): void {
    const { seq, stateVector } = readSavedAck(decoder);
    this.ack = mergeVectors(this.ack, decodeStateVector(stateVector));
    this.pending = stillPending(this.pending, this.ack);
    const ack = this.ack;
    this.queueMeta((m) => {
      const merged = mergeVectors(fromPairs(m.ack), ack);
      return { ...m, ack: toPairs(merged), pending: stillPending(m.pending, merged), version: seq };
    });
    this.store.setState({ acked: true, version: seq });
    this.refresh();
  }

  private onErrorEvent(decoder: decoding.Decoder): void {
    const event = readErrorEvent(decoder);
    // Content this update builds on never reached the server: a resync sends everything it lacks.
    if (event.code === ReasonCode.missingDependencies) this.scheduleResync();
    const message: ServerMessage = { id: ++messageIds, event, at: Date.now() };
    this.store.setState((s) => ({ messages: [...s.messages, message].slice(-5) }));
  }

  private scheduleResync(): void {
    if (this.resyncTimer !== undefined || this.destroyed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.destroyed || !this.provider?.wsconnected) return;
      this.provider.disconnect();
      this.provider.connect();
    }, jitter(1_000));
  }

  private async onClose(code: number, reason: string): Promise<void> {
    if (code === CloseCode.upgradeRequired) {
      this.upgradeRequired();
      return;
    }
    const advice = closeAdvice(code);
    if (advice === 'reauthenticate') {
      // The token expired (or was refused): renew it and reconnect; edits wait on this device.
      if (await this.deps.auth.refresh()) {
        if (this.destroyed || !this.provider) return;
        if (this.deps.auth.token()) this.provider.params.token = this.deps.auth.token();
        if (this.deps.online.isOnline()) this.provider.connect();
        return;
      }
      const unsaved = this.pending.length;
      this.store.setState({
        fatal:
          unsaved > 0
            ? `Sign in again to save ${unsaved} ${unsaved === 1 ? 'change' : 'changes'}: they are kept on this device until then.`
            : 'Your sign-in is no longer valid. Sign out and sign in again.',
      });
    } else if (advice === 'give_up') {
      this.store.setState({
        fatal: `The server refused this document (${code}${reason ? `: ${reason}` : ''}).`,
      });
    }
  }

  private refresh(): void {
    const online = this.deps.online.isOnline();
    const provider = this.provider;
    const connection: Connection = provider?.wsconnected
      ? 'connected'
      : online
        ? 'connecting'
        : 'offline';
    const unsaved = this.pending.length;
    const acked = this.store.getState().acked && connection === 'connected';
    this.store.setState({
      online,
      connection,
      unsaved,
      acked,
      status: statusText({ online, connection, acked, unsaved }),
    });
  }

  /** Resolves once everything queued for local storage is written. */
  async flushLocal(): Promise<void> {
    await this.writes;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unsubscribeOnline?.();
    this.unsubscribeAuth?.();
    clearTimeout(this.resyncTimer);
    this.doc.off('update', this.onUpdate);
    this.tab?.close();
    this.provider?.awareness.setLocalState(null);
    this.provider?.destroy();
    await this.writes;
    this.doc.destroy();
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.6 + Math.random() * 0.8));
}

/** `pending` and `edits` without repeats (the same edit may be recorded by two tabs). */
function withEdits(pending: readonly PendingEdit[], edits: readonly PendingEdit[]): PendingEdit[] {
  const seen = new Set(pending.map(([client, clock]) => `${client}:${clock}`));
  return [...pending, ...edits.filter(([client, clock]) => !seen.has(`${client}:${clock}`))];
}
