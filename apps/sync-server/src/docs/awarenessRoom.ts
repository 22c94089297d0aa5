/**
 * The awareness (presence) states of one document's connections (SPEC AW1–AW5). A connection may
 * publish states only for its own Yjs client ids — at most `MAX_IDS_PER_PEER`, owned by its user
 * or claimed by announcing them — each at most `MAX_STATE_BYTES`. The server writes the identity
 * part of every state (`user.id`, `user.name`) from the session and drops a colour that is not a
 * `#rrggbb` value. States are removed when their connection closes or they are not renewed for
 * `OUTDATED_MS`, and removed states are forgotten, so memory is bounded by the open connections.
 */
import type { AwarenessEntry } from '../protocol/messages.js';
import type { ClientOwners } from '../pipeline/identity.js';

export const MAX_IDS_PER_PEER = 4;
const MAX_STATE_BYTES = 4_096;
/** y-protocols clients renew their state every 15 s and consider 30 s outdated. */
const OUTDATED_MS = 30_000;

export interface AwarenessPublisher {
  readonly user: { readonly id: string; readonly name: string };
}

interface Held {
  clock: number;
  state: string;
  owner: AwarenessPublisher;
  updatedAt: number;
}

export interface AwarenessResult {
  /** Entries to relay to the other connections (already rewritten). */
  readonly changed: AwarenessEntry[];
  /** Why entries were dropped, if any were. */
  readonly refused: string | undefined;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

export class AwarenessRoom {
  /** Created when the first state arrives: many documents are open without any (rooms are many). */
  private heldStates: Map<number, Held> | undefined;
  private peerIds: Map<AwarenessPublisher, Set<number>> | undefined;

  private get held(): Map<number, Held> {
    return (this.heldStates ??= new Map());
  }

  private get byPeer(): Map<AwarenessPublisher, Set<number>> {
    return (this.peerIds ??= new Map());
  }

  constructor(
    private readonly owners: ClientOwners,
    private readonly now: () => number = Date.now,
  ) {}

  /** Apply what `peer` published; returns what changed and why anything was refused. */
  apply(peer: AwarenessPublisher, entries: readonly AwarenessEntry[]): AwarenessResult {
    const changed: AwarenessEntry[] = [];
    let refused: string | undefined;
    const mine = this.byPeer.get(peer) ?? new Set<number>();
    for (const entry of entries) {
      const problem = this.check(peer, mine, entry);
      if (problem) {
        refused ??= problem;
        continue;
      }
      const held = this.held.get(entry.clientId);
      if (entry.state === 'null') {
        if (!held) continue;
        this.held.delete(entry.clientId);
        mine.delete(entry.clientId);
        this.owners.release(entry.clientId);
        changed.push({
          clientId: entry.clientId,
          clock: Math.max(entry.clock, held.clock + 1),
          state: 'null',
        });
        continue;
      }
      const state = rewrite(entry.state, peer);
      if (state === undefined) {
        refused ??= 'an awareness state must be a JSON object';
        continue;
      }
      if (held && entry.clock < held.clock) continue; // stale
      this.owners.claim([entry.clientId], peer.user.id);
      mine.add(entry.clientId);
      this.held.set(entry.clientId, {
        clock: entry.clock,
        state,
        owner: peer,
        updatedAt: this.now(),
      });
      changed.push({ clientId: entry.clientId, clock: entry.clock, state });
    }
    if (mine.size > 0) this.byPeer.set(peer, mine);
    return { changed, refused };
  }

  private check(
    peer: AwarenessPublisher,
    mine: Set<number>,
    entry: AwarenessEntry,
  ): string | undefined {
    const owner = this.owners.ownerOf(entry.clientId);
    if (owner !== undefined && owner !== peer.user.id)
      return `client id ${entry.clientId} belongs to another user`;
    const held = this.held.get(entry.clientId);
    if (held && held.owner !== peer && held.owner.user.id !== peer.user.id)
      return `client id ${entry.clientId} is in use by another connection`;
    if (!mine.has(entry.clientId) && mine.size >= MAX_IDS_PER_PEER)
      return `at most ${MAX_IDS_PER_PEER} awareness client ids per connection`;
    if (entry.state.length > MAX_STATE_BYTES || Buffer.byteLength(entry.state) > MAX_STATE_BYTES)
      return `an awareness state may hold at most ${MAX_STATE_BYTES} bytes`;
    return undefined;
  }

  /** Every state held, to send to a connection that joins or asks. */
  all(): AwarenessEntry[] {
    if (!this.heldStates) return [];
    return [...this.heldStates].map(([clientId, h]) => ({
      clientId,
      clock: h.clock,
      state: h.state,
    }));
  }

  /** Remove the states of a connection that closed; returns the removals to relay. */
  removePeer(peer: AwarenessPublisher): AwarenessEntry[] {
    if (!this.peerIds) return [];
    const mine = this.byPeer.get(peer);
    this.byPeer.delete(peer);
    const removed: AwarenessEntry[] = [];
    for (const clientId of mine ?? []) {
      const held = this.held.get(clientId);
      if (!held || held.owner !== peer) continue;
      this.held.delete(clientId);
      this.owners.release(clientId);
      removed.push({ clientId, clock: held.clock + 1, state: 'null' });
    }
    return removed;
  }

  /** Remove states not renewed within OUTDATED_MS; returns the removals to relay. */
  sweep(): AwarenessEntry[] {
    const cutoff = this.now() - OUTDATED_MS;
    const removed: AwarenessEntry[] = [];
    for (const [clientId, held] of this.heldStates ?? []) {
      if (held.updatedAt >= cutoff) continue;
      this.held.delete(clientId);
      this.byPeer.get(held.owner)?.delete(clientId);
      this.owners.release(clientId);
      removed.push({ clientId, clock: held.clock + 1, state: 'null' });
    }
    return removed;
  }

  get size(): number {
    return this.heldStates?.size ?? 0;
  }
}

/**
 * The state with its identity written by the server: `user.id` and `user.name` from the session,
 * `user.color` kept only when it is `#rrggbb`; the rest of `user` and of the state as sent.
 * Undefined when the state is not a JSON object.
 */
function rewrite(text: string, peer: AwarenessPublisher): string | undefined {
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(state)) return undefined;
  const claimed = isObject(state.user) ? state.user : {};
  const user: Record<string, unknown> = { ...claimed, id: peer.user.id, name: peer.user.name };
  if (typeof user.color !== 'string' || !COLOR.test(user.color)) delete user.color;
  return JSON.stringify({ ...state, user });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
