/**
 * Who owns which Yjs client id of one document (SPEC ID1). The first user to write under a client
 * id — or to announce awareness for it — owns it; an update that adds structs under a client id
 * owned by someone else is refused whole. Ownership by writing is persisted with the log (the
 * `claims` of an append), so it holds across restarts and instances; ownership by awareness alone
 * lives in memory while the document is loaded.
 */
import type { ClientClaim } from '../store/eventStore.js';

export class ClientOwners {
  private readonly owners = new Map<number, string>();
  private readonly persisted = new Set<number>();

  constructor(claims: readonly ClientClaim[]) {
    for (const c of claims) {
      this.owners.set(c.client, c.user);
      this.persisted.add(c.client);
    }
  }

  ownerOf(client: number): string | undefined {
    return this.owners.get(client);
  }

  /** The client ids among `clients` that belong to a user other than `user`. */
  foreign(clients: Iterable<number>, user: string): number[] {
    const out: number[] = [];
    for (const client of clients) {
      const owner = this.owners.get(client);
      if (owner !== undefined && owner !== user) out.push(client);
    }
    return out;
  }

  /** Is any of `clients` owned by nobody yet (as far as this copy knows)? */
  unowned(clients: Iterable<number>): boolean {
    for (const client of clients) if (!this.owners.has(client)) return true;
    return false;
  }

  /** Give `user` the unowned ids among `clients` (in memory). */
  claim(clients: Iterable<number>, user: string): void {
    for (const client of clients) if (!this.owners.has(client)) this.owners.set(client, user);
  }

  /** Forget an ownership that lives only in memory (an awareness state that went away). */
  release(client: number): void {
    if (!this.persisted.has(client)) this.owners.delete(client);
  }

  /**
   * Record owners the log already holds (entries committed by another instance): they replace a
   * claim made here by awareness alone.
   */
  learn(clients: Iterable<number>, user: string): void {
    for (const client of clients) {
      if (this.persisted.has(client)) continue;
      this.owners.set(client, user);
      this.persisted.add(client);
    }
  }

  /**
   * The claims a write under `clients` adds to the log: ids whose ownership is not persisted yet.
   * They count as persisted from now on (a failed append evicts the whole document).
   */
  toPersist(clients: Iterable<number>): ClientClaim[] {
    const out: ClientClaim[] = [];
    for (const client of clients) {
      if (this.persisted.has(client)) continue;
      const user = this.owners.get(client);
      if (user === undefined) continue;
      this.persisted.add(client);
      out.push({ client, user });
    }
    return out;
  }

  get size(): number {
    return this.owners.size;
  }
}
