/**
 * One WebSocket client of one document, speaking the y-websocket protocol (plus Concord's opt-in
 * messages). Messages that arrive while the document loads are queued and handled in order.
 */
import * as awarenessProtocol from 'y-protocols/awareness';
import * as authProtocol from 'y-protocols/auth';
import * as syncProtocol from 'y-protocols/sync';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { CloseCode, MessageType, ReasonCode, encodeMessage, type DocName } from '@concord/shared';
import type { Logger } from 'pino';
import { canWrite, writeRefusal } from '../auth/permissions.js';
import type { User } from '../auth/jwt.js';
import type { DocHub } from '../docs/docHub.js';
import type { LiveDoc, Peer } from '../docs/liveDoc.js';
import type { Metrics } from '../metrics.js';

export interface ConnectionOptions {
  readonly maxMessagesPerSecond: number;
  readonly maxBufferedBytes: number;
}

let nextId = 1;

class MalformedMessage extends Error {}

export class Connection implements Peer {
  readonly id = nextId++;
  private live: LiveDoc | undefined;
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private readonly awarenessIds = new Set<number>();
  private tokens: number;
  private lastRefill = Date.now();

  constructor(
    private readonly ws: WebSocket,
    readonly user: User,
    readonly name: string,
    readonly docName: DocName,
    readonly wantsExtensions: boolean,
    private readonly hub: DocHub,
    private readonly options: ConnectionOptions,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.tokens = options.maxMessagesPerSecond * 2;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', () => this.cleanup());
    ws.on('error', (err) => this.logger.debug({ err, conn: this.id }, 'socket error'));
    metrics.connections.inc();
    hub.acquire(name).then(
      (live) => this.ready(live),
      (error: unknown) => {
        this.logger.error({ err: error, doc: name }, 'document failed to load');
        this.close(CloseCode.tryAgainLater, 'document could not be loaded');
      },
    );
  }

  private ready(live: LiveDoc): void {
    if (this.closed) {
      this.hub.release(this.name);
      return;
    }
    this.live = live;
    live.peers.add(this);
    this.send(
      encodeMessage((e) => {
        encoding.writeVarUint(e, MessageType.sync);
        syncProtocol.writeSyncStep1(e, live.doc);
      }),
    );
    const states = live.awareness.getStates();
    if (states.size > 0) {
      this.send(
        encodeMessage((e) => {
          encoding.writeVarUint(e, MessageType.awareness);
          encoding.writeVarUint8Array(
            e,
            awarenessProtocol.encodeAwarenessUpdate(live.awareness, [...states.keys()]),
          );
        }),
      );
    }
    live.sendSavedAck(this);
    for (const message of this.queue.splice(0)) this.handle(message);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.metrics.bytesIn.inc(data.byteLength);
    if (!this.takeToken()) {
      this.close(
        CloseCode.rateLimited,
        `more than ${this.options.maxMessagesPerSecond} messages per second`,
      );
      return;
    }
    if (!isBinary) {
      this.close(CloseCode.malformedMessage, 'text frames are not part of the protocol');
      return;
    }
    const message = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.live) this.handle(message);
    else this.queue.push(message);
  }

  private takeToken(): boolean {
    const now = Date.now();
    const rate = this.options.maxMessagesPerSecond;
    this.tokens = Math.min(rate * 2, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private handle(message: Uint8Array): void {
    const live = this.live!;
    try {
      const decoder = decoding.createDecoder(message);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MessageType.sync:
          this.handleSync(live, decoder);
          break;
        case MessageType.awareness: {
          const update = decoding.readVarUint8Array(decoder);
          awarenessProtocol.applyAwarenessUpdate(live.awareness, update, this);
          break;
        }
        case MessageType.auth:
          break;
        case MessageType.queryAwareness: {
          const ids = [...live.awareness.getStates().keys()];
          this.send(
            encodeMessage((e) => {
              encoding.writeVarUint(e, MessageType.awareness);
              encoding.writeVarUint8Array(
                e,
                awarenessProtocol.encodeAwarenessUpdate(live.awareness, ids),
              );
            }),
          );
          break;
        }
        default:
          throw new MalformedMessage(`unknown message type ${type}`);
      }
    } catch (error) {
      this.logger.info(
        { conn: this.id, user: this.user.id, doc: this.name, err: (error as Error).message },
        'malformed message',
      );
      this.metrics.rejected.inc({ reason: ReasonCode.malformedUpdate });
      this.close(
        CloseCode.malformedMessage,
        truncate(`malformed message: ${(error as Error).message}`),
      );
    }
  }

  private handleSync(live: LiveDoc, decoder: decoding.Decoder): void {
    const sub = decoding.readVarUint(decoder);
    switch (sub) {
      case syncProtocol.messageYjsSyncStep1: {
        const stateVector = decoding.readVarUint8Array(decoder);
        const reply = encodeMessage((e) => {
          encoding.writeVarUint(e, MessageType.sync);
          syncProtocol.writeSyncStep2(e, live.doc, stateVector);
        });
        this.send(reply);
        break;
      }
      case syncProtocol.messageYjsSyncStep2:
      case syncProtocol.messageYjsUpdate:
        this.handleUpdate(live, decoding.readVarUint8Array(decoder));
        break;
      default:
        throw new MalformedMessage(`unknown sync message type ${sub}`);
    }
  }

  private handleUpdate(live: LiveDoc, update: Uint8Array): void {
    this.metrics.updatesIn.inc();
    if (!canWrite(this.user, this.docName)) {
      // A read-only client's sync step 2 repeats what the server has (always with its whole delete
      // set): only an update that would change the document is a refused write.
      if (Y.snapshotContainsUpdate(Y.snapshot(live.doc), update)) return;
      const reason = writeRefusal(this.user, this.docName);
      this.metrics.rejected.inc({ reason: ReasonCode.readOnly });
      this.send(
        encodeMessage((e) => {
          encoding.writeVarUint(e, MessageType.auth);
          authProtocol.writePermissionDenied(e, reason);
        }),
      );
      live.sendError(this, { code: ReasonCode.readOnly, message: reason });
      return;
    }
    const started = process.hrtime.bigint();
    live.submit(update, this.user.id, this, 'edit').then(
      (result) => {
        switch (result.status) {
          case 'applied':
            this.metrics.ackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
            if (result.compensation)
              this.metrics.compensated.inc({ reason: result.compensation.reason });
            break;
          case 'malformed':
            this.metrics.rejected.inc({ reason: ReasonCode.malformedUpdate });
            this.close(CloseCode.malformedMessage, truncate(result.message));
            break;
          case 'too_large':
            this.metrics.rejected.inc({ reason: ReasonCode.documentTooLarge });
            live.sendError(this, { code: ReasonCode.documentTooLarge, message: result.message });
            break;
          case 'unchanged':
            break;
        }
      },
      (error: unknown) => {
        this.logger.error({ err: error, doc: this.name }, 'append failed');
        this.metrics.rejected.inc({ reason: ReasonCode.storageFailure });
        live.sendError(this, {
          code: ReasonCode.storageFailure,
          message: 'the server could not save this change; it will be retried on reconnect',
        });
        this.close(CloseCode.tryAgainLater, 'storage failure');
      },
    );
  }

  /** Track which awareness client ids this connection controls, to clear them when it closes. */
  noteAwareness(added: number[], removed: number[]): void {
    for (const id of added) this.awarenessIds.add(id);
    for (const id of removed) this.awarenessIds.delete(id);
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
    this.ws.close(code, reason);
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.metrics.connections.dec();
    const live = this.live;
    if (live) {
      live.peers.delete(this);
      if (this.awarenessIds.size > 0) {
        awarenessProtocol.removeAwarenessStates(live.awareness, [...this.awarenessIds], null);
      }
      this.hub.release(this.name);
    }
  }
}

function truncate(reason: string): string {
  // A close reason may carry at most 123 bytes.
  return Buffer.byteLength(reason) <= 123
    ? reason
    : `${Buffer.from(reason).subarray(0, 120).toString()}...`;
}
