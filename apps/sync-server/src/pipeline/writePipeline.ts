/**
 * The server's write path, top to bottom (SPEC PIPE1). Every change to a loaded document goes
 * through here, in this order; each stage returns a typed result and none reaches back:
 *
 *   1 decode        protocol/messages.ts turned the frame into an update (the connection did)
 *   2 authorize     may this user write this document? (auth/permissions.ts)
 *   3 inspect       what would the update add, where, under which client ids? (inspect.ts)
 *   4 identity      new structs only under the writer's own client ids (identity.ts)
 *   5 structure     known fields, own slots naming the writer, bounded clocks (structure.ts)
 *                   (3–5 per update, admit.ts; the updates a connection sent together that pass
 *                   are applied in one transaction and logged as one entry)
 *   6 apply         into the Y.Doc, capturing exactly what was integrated (apply.ts)
 *   7 validate      schema check; invalid fields compensated (validate.ts)
 *   8 persist       group commit to the event store (docs/groupCommitter.ts)
 *   9 acknowledge   savedAck to the writer at once, to others soon after (docs/acks.ts)
 *  10 broadcast     one merged update per peer per window (docs/broadcaster.ts), and to other
 *                   instances (fanout/)
 *
 * Stages 1–7 run synchronously, so no other write interleaves with them; broadcasting after the
 * commit means no connection ever receives content the log does not hold. Server-side edits (HTTP
 * patches, restores) enter at stage 6 under the document's own server client id; entries
 * committed by other instances enter at stage 6 too (`applyRemote`) and are validated again.
 */
import * as Y from 'yjs';
import {
  Origin,
  ReasonCode,
  SERVER_IDENTITY,
  canWrite,
  migrateDocument,
  writeRefusal,
  type ErrorEvent,
  type Principal,
  type Reason,
  type TxOrigin,
} from '@concord/shared';
import type { Logger } from 'pino';
import type { Broadcaster } from '../docs/broadcaster.js';
import { diffFields } from '../docs/changes.js';
import type { GroupCommitter } from '../docs/groupCommitter.js';
import type { LiveDoc, Peer } from '../docs/liveDoc.js';
import type { FanOut } from '../fanout/fanOut.js';
import type { Metrics } from '../metrics.js';
import { writeError } from '../protocol/messages.js';
import type { ClientClaim, EntryKind, LogEntry, NewEntry } from '../store/eventStore.js';
import { applyCaptured } from './apply.js';
import { admitUpdate } from './admit.js';
import { reread, validateAndCompensate, type Violation } from './validate.js';

/** Who writes: the user from the session, and the connection when the write came over one. */
export interface Writer {
  readonly user: Principal;
  readonly peer?: Peer;
}

export type WriteResult =
  | {
      readonly status: 'applied';
      readonly entries: LogEntry[];
      readonly compensated: Violation | undefined;
    }
  | { readonly status: 'unchanged' }
  | {
      readonly status: 'refused';
      readonly code: Reason;
      readonly message: string;
      readonly clients?: number[];
    }
  | { readonly status: 'moved'; readonly version: number }
  | { readonly status: 'failed'; readonly message: string };

type Refused = Extract<WriteResult, { status: 'refused' }>;

/** What became of a batch of client updates (`submitUpdates`). */
export interface BatchResult {
  /** The admitted updates, applied and committed as one entry (`unchanged` when none was). */
  readonly result: WriteResult;
  /** Updates refused on their own; the writer was told. */
  readonly refused: readonly Refused[];
  /** Updates this copy may lag behind (`mayLag`): submit them again after catching up. */
  readonly behind: readonly Uint8Array[];
}

export interface PipelineOptions {
  readonly maxSkewMs: number;
  readonly maxDocBytes: number;
}

export interface PipelineDeps {
  readonly committer: GroupCommitter;
  readonly broadcaster: Broadcaster;
  readonly fanOut: FanOut;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** After entries were committed here: change events, compaction (the hub). */
  readonly committed: (live: LiveDoc, entries: readonly LogEntry[]) => void;
  /** Drop a document whose memory ran ahead of its log (a failed or refused append). */
  readonly evict: (live: LiveDoc, why: string) => void;
}

export class WritePipeline {
  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions,
  ) {}

  /**
   * Updates from one client connection, in the order it sent them (those that arrived together):
   * stages 2–10. Each update is admitted on its own (stages 3–5, admit.ts) and the admitted ones
   * are applied in one transaction, validated, and committed as one log entry; an update refused
   * on its own costs only itself. With `mayLag` (other instances write the same log), an update
   * that may only be ahead of this copy stops the batch: it and those after it come back in
   * `behind`, to be submitted again once this copy has caught up with the log (SPEC SO7).
   */
  submitUpdates(
    live: LiveDoc,
    updates: readonly Uint8Array[],
    writer: Writer,
    mayLag = false,
  ): Promise<BatchResult> {
    const whole = (result: WriteResult): Promise<BatchResult> =>
      done({ result, refused: [], behind: [] });
    // 2 authorize
    if (live.tooNew) return whole(this.refuseTooNew(writer, live));
    if (!canWrite(writer.user, live.docName)) {
      // A read-only client's sync step 2 repeats what the server has (with its whole delete set):
      // only an update that would change the document is a refused write.
      const snapshot = Y.snapshot(live.doc);
      if (updates.every((u) => Y.snapshotContainsUpdate(snapshot, u)))
        return whole({ status: 'unchanged' });
      return whole(
        this.refuse(writer, ReasonCode.readOnly, writeRefusal(writer.user, live.docName)),
      );
    }
    const options = {
      maxSkewMs: this.options.maxSkewMs,
      maxDocBytes: this.options.maxDocBytes,
      nowMs: this.deps.now(),
      mayLag,
    };
    const refused: Refused[] = [];
    const clients = new Set<number>();
    let behind: readonly Uint8Array[] = [];
    // 3–5 per update, then 6–10 for what was admitted
    const result = this.commitEdit(
      live,
      (origin) =>
        live.doc.transact(() => {
          for (let i = 0; i < updates.length; i++) {
            const update = updates[i]!;
            const admission = admitUpdate(live, update, writer.user, options);
            if (admission.status === 'behind') {
              behind = updates.slice(i);
              return;
            }
            if (admission.status === 'refused') {
              refused.push(
                this.refuse(writer, admission.code, admission.message, admission.clients),
              );
              // A malformed update closes the connection: nothing after it is taken.
              if (admission.code === ReasonCode.malformedUpdate) return;
              continue;
            }
            for (const client of admission.newClients) clients.add(client);
            Y.applyUpdate(live.doc, update, origin);
          }
        }, origin),
      writer,
      'edit',
      clients,
    );
    return result.then((r) => ({ result: r, refused, behind }));
  }

  /**
   * A server-side edit (HTTP patch, restore) by `user`: stages 6–10, under the document's own
   * server client id. With `ifHead`, it is committed only if the log is still at that version.
   */
  submitEdit(
    live: LiveDoc,
    edit: (origin: TxOrigin) => void,
    user: Principal,
    kind: EntryKind,
    ifHead?: number,
  ): Promise<WriteResult> {
    if (live.tooNew) return done(this.refuseTooNew({ user }, live));
    return this.commitEdit(live, edit, { user }, kind, [live.doc.clientID], ifHead);
  }

  /** Bring a document stored at an older schema version up to this server's (MIG1), logged. */
  migrate(live: LiveDoc): Promise<WriteResult> {
    return this.submitEdit(
      live,
      () => {
        migrateDocument(live.doc, live.kind);
      },
      { id: SERVER_IDENTITY, role: 'admin' },
      'migration',
    );
  }

  private refuseTooNew(writer: Writer, live: LiveDoc): WriteResult {
    return this.refuse(
      writer,
      ReasonCode.newerSchema,
      `${live.name} has schema version ${live.schemaVersion}; this server knows up to ${live.kind.schemaVersion}`,
    );
  }

  private commitEdit(
    live: LiveDoc,
    edit: (origin: TxOrigin) => void,
    writer: Writer,
    kind: EntryKind,
    clients: Iterable<number>,
    ifHead?: number,
  ): Promise<WriteResult> {
    const before = live.lastValid;
    // 6 apply
    const { applied, error } = applyCaptured(live, edit, writer.peer ?? Origin.server);
    if (!applied) {
      return done(
        error
          ? this.refuse(writer, ReasonCode.malformedUpdate, error.message)
          : { status: 'unchanged' },
      );
    }
    if (error)
      this.deps.logger.warn({ err: error, doc: live.name }, 'an update applied only in part');
    // 7 validate
    const checked = validateAndCompensate(live, before, applied.changed);
    const ts = this.deps.now();
    const entries: NewEntry[] = [
      {
        update: applied.update,
        user: writer.user.id,
        ts,
        kind,
        changes: diffFields(live.kind, before, checked.after, applied.changed),
      },
    ];
    if (checked.compensation && checked.violation) {
      entries.push({
        update: checked.compensation.update,
        user: SERVER_IDENTITY,
        ts,
        kind: 'compensation',
        reason: checked.violation.reason,
        changes: diffFields(live.kind, checked.after, checked.final),
      });
    }
    live.bytes += entries.reduce((n, e) => n + e.update.byteLength, 0);
    // 8 persist, with the ownership of client ids first written here
    const claims = live.owners.toPersist(
      checked.compensation ? [...clients, live.doc.clientID] : clients,
    );
    const clocks = [...applied.clocks, ...(checked.compensation?.clocks ?? [])];
    return this.persist(live, entries, claims, clocks, writer.peer, ifHead).then((result) => {
      if (result.status === 'applied' && checked.violation) {
        this.deps.metrics.compensated.inc({ reason: checked.violation.reason });
        if (writer.peer) {
          this.sendError(writer.peer, {
            code: ReasonCode.invalidDocument,
            message: checked.violation.message,
            fields: checked.violation.fields,
            ...(result.entries[1] ? { compensationSeq: result.entries[1].seq } : {}),
          });
        }
        return { ...result, compensated: checked.violation };
      }
      return result;
    });
  }

  private persist(
    live: LiveDoc,
    entries: readonly NewEntry[],
    claims: readonly ClientClaim[],
    clocks: readonly (readonly [number, number])[],
    writer: Peer | undefined,
    ifHead: number | undefined,
  ): Promise<WriteResult> {
    live.inFlight += 1;
    const committed = this.deps.committer
      .enqueue({ doc: live.name, entries, claims, ...(ifHead !== undefined ? { ifHead } : {}) })
      .then(
        (outcome): WriteResult => {
          live.inFlight -= 1;
          if (!outcome.ok) {
            // The document in memory holds what the log refused: rebuild it from the log.
            this.deps.evict(live, `append refused (${outcome.code}): ${outcome.message}`);
            return outcome.code === 'head_moved'
              ? { status: 'moved', version: live.version }
              : { status: 'failed', message: outcome.message };
          }
          const written = outcome.entries;
          for (const e of written) {
            live.committed.add(e.seq);
            if (e.seq > live.ownHighestSeq) live.ownHighestSeq = e.seq;
          }
          live.markSaved(clocks);
          live.snapshots.committed(written);
          // 9 + 10 at the end of this turn, for every commit of the turn at once; a compensation
          // is the server's, so it reaches the writer too.
          this.deps.broadcaster.committed(live, [written[0]!.update], writer);
          if (written.length > 1)
            this.deps.broadcaster.committed(
              live,
              written.slice(1).map((e) => e.update),
              undefined,
            );
          this.deps.fanOut.publish(written);
          this.deps.committed(live, written);
          return { status: 'applied', entries: written, compensated: undefined };
        },
        (error: unknown): WriteResult => {
          live.inFlight -= 1;
          this.deps.evict(live, `append failed: ${(error as Error).message}`);
          return { status: 'failed', message: 'the server could not save this change' };
        },
      );
    // The document waits for this write, not for its result: an idle document keeps nothing of
    // its last write (the entries, their bytes and field changes) once the writer is answered.
    // (Both ways: should a step after the commit throw, the caller handles that, not the tail.)
    live.tail = committed.then(nothing, nothing);
    return committed;
  }

  /**
   * An entry committed by another instance: apply, broadcast to this instance's connections,
   * acknowledge (it is committed). When it leaves the document invalid, the instance that
   * committed the later of the conflicting entries compensates (SPEC SO6): this one, if it has
   * committed an entry after `seq`.
   */
  applyRemote(live: LiveDoc, entry: Pick<LogEntry, 'seq' | 'update' | 'user' | 'kind'>): boolean {
    const { seq, update } = entry;
    if (live.committed.has(seq)) return false;
    const { applied } = applyCaptured(
      live,
      (origin) => Y.applyUpdate(live.doc, update, origin),
      Origin.remote,
    );
    live.committed.add(seq);
    live.markSaved(Y.parseUpdateMeta(update).to);
    // The committing instance checked ownership: client ids new in an edit are its writer's, in a
    // server edit (patch, restore, compensation) the server's (SPEC ID1).
    if (applied) {
      const owner = entry.kind === 'edit' ? entry.user : SERVER_IDENTITY;
      live.owners.learn(
        applied.clocks.map(([client]) => client),
        owner,
      );
    }
    if (!applied) {
      this.deps.broadcaster.committed(live, [], undefined);
      return true;
    }
    live.bytes += applied.update.byteLength;
    this.deps.broadcaster.committed(live, [applied.update], undefined);
    const after = reread(live, live.lastValid, applied.changed);
    if (live.kind.schema.safeParse(after).success) {
      live.lastValid = after;
      live.lastValidChecked = true;
    } else void this.compensateMerged(live, seq);
    return true;
  }

  /**
   * Compensate a document that became invalid by merging entries of several instances — if this
   * instance committed an entry after `seq` (known once its own writes in flight have settled).
   */
  private async compensateMerged(live: LiveDoc, seq: number): Promise<void> {
    await live.settled();
    if (live.destroyed || live.ownHighestSeq < seq) return;
    const checked = validateAndCompensate(live, live.lastValid, undefined);
    if (!checked.compensation || !checked.violation) return;
    this.deps.metrics.compensated.inc({ reason: 'merge' });
    const entry: NewEntry = {
      update: checked.compensation.update,
      user: SERVER_IDENTITY,
      ts: this.deps.now(),
      kind: 'compensation',
      reason: checked.violation.reason,
      changes: diffFields(live.kind, checked.after, checked.final),
    };
    live.bytes += entry.update.byteLength;
    const claims = live.owners.toPersist([live.doc.clientID]);
    void this.persist(live, [entry], claims, checked.compensation.clocks, undefined, undefined);
  }

  private refuse(writer: Writer, code: Reason, message: string, clients?: number[]): Refused {
    this.deps.metrics.rejected.inc({ reason: code });
    if (writer.peer)
      this.sendError(writer.peer, { code, message, ...(clients ? { clients } : {}) });
    return { status: 'refused', code, message, ...(clients ? { clients } : {}) };
  }

  sendError(peer: Peer, event: ErrorEvent): void {
    if (peer.wantsExtensions) peer.send(writeError(event));
  }
}

function nothing(): void {}

function done<T>(result: T): Promise<T> {
  return Promise.resolve(result);
}
