/**
 * The one acknowledgement policy (SPEC ACK3): after the log of a document grew — by this
 * instance's commit or by entries committed elsewhere — the writers whose updates it holds get a
 * savedAck at once; every other opted-in connection of the document whose last ack is behind gets
 * one within `intervalMs` (one timer per document, however many commits): it has nothing waiting
 * to be saved, only its notion of the document's version to refresh. An ack claims exactly what
 * the committed log holds: its state vector and the version this copy contains completely.
 */
import { writeAck } from '../protocol/messages.js';
import type { LiveDoc, Peer } from './liveDoc.js';

export class AckPolicy {
  private readonly timers = new Map<LiveDoc, NodeJS.Timeout>();
  /** The version each connection was last acknowledged at. */
  private readonly acked = new WeakMap<Peer, number>();

  constructor(private readonly intervalMs = 1_000) {}

  committed(live: LiveDoc, writers: Iterable<Peer>): void {
    for (const peer of writers) if (live.peers.has(peer)) this.send(live, peer);
    if (this.timers.has(live) || live.peers.size === 0) return;
    const timer = setTimeout(() => {
      this.timers.delete(live);
      if (live.destroyed) return;
      for (const peer of live.peers)
        if ((this.acked.get(peer) ?? -1) < live.version) this.send(live, peer);
    }, this.intervalMs);
    timer.unref();
    this.timers.set(live, timer);
  }

  /** The current ack, to one connection (after its initial sync). */
  send(live: LiveDoc, peer: Peer): void {
    if (!peer.wantsExtensions) return;
    this.acked.set(peer, live.version);
    peer.send(writeAck(live.savedStateVector, live.version));
  }

  forget(live: LiveDoc): void {
    clearTimeout(this.timers.get(live));
    this.timers.delete(live);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
