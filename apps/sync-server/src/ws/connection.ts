/**
 * One WebSocket client of one document, speaking the y-websocket protocol (plus Concord's opt-in
 * messages). Frames are decoded by protocol/messages.ts and dispatched by kind;
 * updates go to the write pipeline. Frames that arrive while the document loads are held, up to a
 * bound, and a fresh client may be answered from the stored snapshot meanwhile (earlyFrames.ts).
 * The connection closes itself when its token expires (AUTH7).
 */
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { CloseCode, ReasonCode } from '@concord/shared';
import type { Logger } from 'pino';
import type { User } from '../auth/tokens.js';
import type { DocHub } from '../docs/docHub.js';
import type { LiveDoc, Peer } from '../docs/liveDoc.js';
import type { Metrics } from '../metrics.js';
import { closeReason } from '../protocol/closeReason.js';
import {
  MalformedMessage,
  readClientMessage,
  writeAwareness,
  writePermissionDenied,
  writeSyncStep1,
  writeSyncStep2,
  type ClientMessage,
} from '../protocol/messages.js';
import type { BatchResult, Writer } from '../pipeline/writePipeline.js';
import { isEmptyStateVector } from '../docs/storedAnswer.js';
import { EarlyFrames } from './earlyFrames.js';
import { UpdateInbox } from './updateInbox.js';
import { MESSAGE_COST, MessageBudget } from './messageBudget.js';

/** The budget holds this many seconds of the message rate (MAL2). */
const BURST_SECONDS = 4;

export interface ConnectionOptions {
  readonly maxMessagesPerSecond: number;
  readonly maxBufferedBytes: number;
  /** Frames held while the document loads (count and bytes). */
  readonly maxQueuedMessages?: number;
  readonly maxQueuedBytes?: number;
}

let nextId = 1;

export class Connection implements Peer {
  readonly id = nextId++;
  private live: LiveDoc | undefined;
  /** Until the document has loaded: what the client sent meanwhile (earlyFrames.ts). */
  private early: EarlyFrames | undefined;
  /** Set once the socket closed or is closing. */
  closed = false;
  private readonly budget: MessageBudget;
  /** Set while the socket is not read because the budget is spent. */
  private throttled: NodeJS.Timeout | undefined;
  /** Closes the connection when its token expires (SPEC MEM6). */
  private expiry: NodeJS.Timeout | undefined;
  private readonly inbox: UpdateInbox;
  readonly writer: Writer;
  /** The first sync step 1 was answered from the stored state (LOAD1): its answer sends the rest. */
  private answeredStored = false;

  constructor(
    private readonly ws: WebSocket,
    readonly user: User,
    readonly name: string,
    readonly wantsExtensions: boolean,
    /** The newest schema version of this kind the client knows; undefined for generic clients. */
    private readonly clientSchema: number | undefined,
    private readonly hub: DocHub,
    private readonly options: ConnectionOptions,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.writer = { user, peer: this };
    this.inbox = new UpdateInbox(hub, this);
    this.budget = new MessageBudget(
      options.maxMessagesPerSecond,
      options.maxMessagesPerSecond * BURST_SECONDS,
    );
    this.early = new EarlyFrames(this, {
      maxMessages: options.maxQueuedMessages ?? 256,
      maxBytes: options.maxQueuedBytes ?? 8 * 1024 * 1024,
      maxBufferedBytes: options.maxBufferedBytes,
      clientSchema,
    });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', () => this.cleanup());
    ws.on('error', (err) => this.logger.debug({ err, conn: this.id }, 'socket error'));
    metrics.connections.inc();
    this.watchExpiry();
    hub.acquire(name).then(
      (live) => this.ready(live),
      (error: unknown) => {
        this.logger.error({ err: error, doc: name }, 'document failed to load');
        this.close(CloseCode.tryAgainLater, 'document could not be loaded');
      },
    );
    hub.storedState(name)?.then(
      (offer) => offer && !this.closed && this.early?.offered(offer),
      () => undefined,
    );
  }

  /**
   * Close when the token expires. Every connection's timer has a duration of its own, and Node
   * keeps one timer list per duration: a cleared timer that was `unref`'d leaves its empty list
   * behind until the duration has passed — an hour or more of memory per connection ever opened.
   * This one stays referenced (the socket holds the process open anyway) and is cleared on close,
   * which frees its list. Timers hold at most ~24.8 days; a token living longer is checked again.
   */
  private watchExpiry(): void {
    const left = this.user.expiresAt - Date.now();
    this.expiry = setTimeout(() => this.expired(), Math.max(0, Math.min(left, 2 ** 31 - 1)));
  }

  private expired(): void {
    if (this.closed) return;
    if (Date.now() < this.user.expiresAt) return this.watchExpiry();
    this.close(CloseCode.sessionExpired, 'token expired; reconnect with a new token');
  }

  private ready(live: LiveDoc): void {
    if (this.closed || live.destroyed) {
      this.hub.release(this.name);
      if (!this.closed) this.close(CloseCode.tryAgainLater, 'document reloading; reconnect');
      return;
    }
    if (this.clientSchema !== undefined && live.schemaVersion > this.clientSchema) {
      // An older app must not read or write a document it would misread (MIG2): it reloads.
      this.hub.release(this.name);
      this.hub.pipeline.sendError(this, {
        code: ReasonCode.newerSchema,
        message: `this document has schema version ${live.schemaVersion}; this app knows up to ${this.clientSchema}`,
      });
      this.close(CloseCode.upgradeRequired, 'A new version of Concord is available: reload');
      return;
    }
    this.live = live;
    const early = this.early!.take();
    this.early = undefined;
    this.answeredStored = early.answeredFromStored;
    live.peers.add(this);
    this.send(writeSyncStep1(Y.encodeStateVector(live.doc)));
    const states = live.awareness.all();
    if (states.length > 0) this.send(writeAwareness(states));
    this.hub.acks.send(live, this);
    for (const message of early.frames) this.handle(live, message);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.metrics.bytesIn.inc(data.byteLength);
    this.spend(MESSAGE_COST.frame);
    if (!isBinary) {
      this.close(CloseCode.malformedMessage, 'text frames are not part of the protocol');
      return;
    }
    const message = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const live = this.live;
    if (live) {
      this.handle(live, message);
      return;
    }
    if (!this.early?.add(message))
      this.close(CloseCode.tryAgainLater, 'too much sent before the document was loaded');
  }

  /** Spend from the budget; once spent, the socket is not read until it refilled (MAL2). */
  spend(cost: number): void {
    const wait = this.budget.spend(cost);
    if (wait === 0 || this.throttled || this.closed) return;
    this.metrics.throttled.inc();
    this.ws.pause();
    this.throttleFor(wait);
  }

  private throttleFor(wait: number): void {
    this.throttled = setTimeout(() => {
      this.throttled = undefined;
      if (this.closed) return;
      // Frames already read when reading stopped were spent too: wait until all are paid for.
      const more = this.budget.spend(0);
      if (more > 0) this.throttleFor(more);
      else this.ws.resume();
    }, wait);
  }

  private handle(live: LiveDoc, frame: Uint8Array): void {
    if (this.closed || live.destroyed) return;
    let message: ClientMessage;
    try {
      message = readClientMessage(frame);
    } catch (error) {
      this.inbox.submit(live);
      this.malformed(error instanceof MalformedMessage ? error.message : String(error));
      return;
    }
    // Everything else is handled after the updates that came before it.
    if (message.kind !== 'update' && message.kind !== 'syncStep2') this.inbox.submit(live);
    try {
      this.dispatch(live, message);
    } catch (error) {
      // A handler bug must cost this connection, never the process.
      this.logger.error({ err: error, conn: this.id, doc: this.name }, 'message handler failed');
      this.close(CloseCode.tryAgainLater, 'internal error; reconnect');
    }
  }

  /** One method per message kind (a method, not a table of closures: connections are many). */
  private dispatch(live: LiveDoc, message: ClientMessage): void {
    switch (message.kind) {
      case 'syncStep1':
        // The one answered from the stored state while loading was charged then.
        if (!this.answeredStored) this.spend(MESSAGE_COST.syncStep1);
        return this.answerSyncStep1(live, message.stateVector);
      case 'syncStep2':
      case 'update':
        this.metrics.updatesIn.inc();
        return this.inbox.add(live, message.update);
      case 'awareness':
        this.spend(MESSAGE_COST.awareness);
        return this.publishAwareness(live, message.entries);
      case 'queryAwareness':
        this.spend(MESSAGE_COST.queryAwareness);
        return this.send(writeAwareness(live.awareness.all()));
      case 'auth':
        return;
      default:
        return unreachable(message);
    }
  }

  private publishAwareness(
    live: LiveDoc,
    entries: Extract<ClientMessage, { kind: 'awareness' }>['entries'],
  ): void {
    const result = live.awareness.apply(this, entries);
    if (result.changed.length > 0) {
      const message = writeAwareness(result.changed);
      for (const peer of live.peers) if (peer !== this) peer.send(message);
    }
    if (result.refused) {
      this.metrics.refusedAwareness.inc();
      this.hub.pipeline.sendError(this, {
        code: ReasonCode.awarenessRefused,
        message: result.refused,
      });
    }
  }

  /**
   * Answer sync step 1 with what the client lacks, once the writes in flight are committed, so a
   * fresh client is not handed content the log does not hold yet.
   */
  private answerSyncStep1(live: LiveDoc, asked: Uint8Array): void {
    // Answered from the stored state while loading: the client holds that state now.
    const fromStored = this.answeredStored && isEmptyStateVector(asked) && live.storedVector;
    this.answeredStored = false;
    const stateVector = fromStored || asked;
    const reply = () => {
      if (this.closed || live.destroyed) return;
      let update: Uint8Array;
      try {
        // A fresh client (nothing yet) gets the whole document, which a large one keeps encoded.
        update = isEmptyStateVector(stateVector)
          ? live.encodeWhole()
          : Y.encodeStateAsUpdate(live.doc, stateVector);
      } catch {
        this.malformed('sync step 1 with an undecodable state vector');
        return;
      }
      this.send(writeSyncStep2(update));
    };
    if (live.inFlight === 0) reply();
    else void live.tail.then(reply, reply);
  }

  /** The pipeline threw on this connection's updates. */
  failed(error: unknown): void {
    this.logger.error({ err: error, conn: this.id, doc: this.name }, 'write failed');
    this.close(CloseCode.tryAgainLater, 'internal error; reconnect');
  }

  /** What became of a batch of this connection's updates (the inbox reports it). */
  settled(batch: BatchResult, started: bigint): void {
    for (const refusal of batch.refused) {
      if (refusal.code === ReasonCode.readOnly) this.send(writePermissionDenied(refusal.message));
      if (refusal.code === ReasonCode.malformedUpdate) this.malformed(refusal.message);
    }
    const result = batch.result;
    switch (result.status) {
      case 'applied':
        this.metrics.ackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        return;
      case 'refused':
        if (result.code === ReasonCode.readOnly) this.send(writePermissionDenied(result.message));
        if (result.code === ReasonCode.malformedUpdate) this.malformed(result.message);
        return;
      case 'unchanged':
      case 'moved':
      case 'failed':
        // a failed append evicted the document, which closed this connection (1013)
        return;
    }
  }

  private malformed(why: string): void {
    this.logger.info(
      { conn: this.id, user: this.user.id, doc: this.name, why },
      'malformed message',
    );
    this.metrics.rejected.inc({ reason: ReasonCode.malformedUpdate });
    this.close(CloseCode.malformedMessage, `malformed message: ${why}`);
  }

  send(message: Uint8Array): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.close(CloseCode.slowConsumer, 'client is not reading fast enough');
      return;
    }
    this.metrics.bytesOut.inc(message.byteLength);
    this.ws.send(message, (err) => {
      if (err) this.cleanup();
    });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.metrics.closes.inc({ code: String(code) });
    try {
      this.ws.close(code, closeReason(reason));
    } catch (error) {
      this.logger.warn({ err: error, conn: this.id }, 'close failed; terminating');
      this.ws.terminate();
    }
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    clearTimeout(this.throttled);
    this.metrics.connections.dec();
    this.early?.drop();
    this.early = undefined;
    const live = this.live;
    if (!live) return;
    live.peers.delete(this);
    const removed = live.awareness.removePeer(this);
    if (removed.length > 0) {
      const message = writeAwareness(removed);
      for (const peer of live.peers) peer.send(message);
    }
    this.hub.release(this.name);
  }
}

function unreachable(message: never): void {
  throw new Error(`unhandled message ${JSON.stringify(message)}`);
}
