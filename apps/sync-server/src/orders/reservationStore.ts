/**
 * The reservation ledger: the strongly consistent half of Concord (SPEC RES1–RES6). Placing an
 * order reserves stock for every line, all or nothing; a reservation is later released (declined,
 * cancelled, expired) or committed (paid: the stock leaves on-hand). Available stock is
 *
 *     available(product) = on hand − Σ active reservations
 *
 * and no interleaving of placements, on any number of instances, ever makes it negative through a
 * reservation. Every change takes the products' locks in one fixed order (product id): a row lock
 * in PostgreSQL, a single writer in SQLite (one process). On-hand is read while the locks are held,
 * and a commit applies its stock decrement while they are held, so a reservation never stops
 * counting before its decrement is visible in on-hand.
 *
 * Two implementations (sqliteReservationStore.ts, postgresReservationStore.ts) pass one contract
 * suite (test/reservationStoreContract.ts).
 */

export interface ReservationLine {
  readonly product: string;
  readonly quantity: number;
}

export type ReservationState = 'active' | 'released' | 'committed';

export interface Reservation {
  readonly order: string;
  readonly product: string;
  readonly quantity: number;
  readonly state: ReservationState;
  /** Why it was released (declined, cancelled, expired, …). */
  readonly reason: string | undefined;
  readonly createdAt: number;
  /** An active reservation past this time is released as expired (RES5). */
  readonly expiresAt: number;
  readonly updatedAt: number;
}

/** One line of a refused placement: what was asked, and what is available now. */
export interface LineAvailability {
  readonly product: string;
  readonly requested: number;
  readonly available: number;
}

export type ReserveResult =
  /** Reserved now, or (`replayed`) already reserved or committed by an earlier attempt (RES3). */
  | { readonly ok: true; readonly reservations: readonly Reservation[]; readonly replayed: boolean }
  /** Nothing reserved: at least one line is short; every line with what is available (RES1). */
  | { readonly ok: false; readonly lines: readonly LineAvailability[] };

/** On-hand stock of products, read while the ledger holds their locks. */
export type OnHand = (products: readonly string[]) => Promise<ReadonlyMap<string, number>>;

export interface ReservationStore {
  /**
   * Reserves every line, or none (RES1, RES2). Lines naming one product twice are summed. An order
   * with active or committed reservations is not reserved again (RES3); one whose reservations
   * were all released may be placed again.
   */
  reserve(
    order: string,
    lines: readonly ReservationLine[],
    onHand: OnHand,
    now: number,
    ttlMs: number,
  ): Promise<ReserveResult>;
  /** Active → released with `reason`; answers the reservations released by this call (RES4). */
  release(order: string, reason: string, now: number): Promise<Reservation[]>;
  /**
   * Active → committed; `decrement` runs first, under the products' locks, with the lines to take
   * off on-hand (it must be idempotent: after a crash the commit runs again). Answers the
   * reservations committed by this call; none when there was nothing active (RES6).
   */
  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<Reservation[]>;
  /** The order's reservations, by product. */
  ofOrder(order: string): Promise<Reservation[]>;
  /** Σ active reservations per product (products without any: 0). */
  reserved(products: readonly string[]): Promise<Map<string, number>>;
  /** Orders with an active reservation whose time ran out (RES5). */
  expired(now: number, limit: number): Promise<string[]>;
  close(): Promise<void>;
}

/** A line's quantity must be a whole number of units, at least one. */
export function checkLines(lines: readonly ReservationLine[]): ReservationLine[] {
  const byProduct = new Map<string, number>();
  for (const { product, quantity } of lines) {
    if (!Number.isSafeInteger(quantity) || quantity < 1)
      throw new RangeError(`quantity of ${product} must be a whole number of at least 1`);
    byProduct.set(product, (byProduct.get(product) ?? 0) + quantity);
  }
  if (byProduct.size === 0) throw new RangeError('an order needs at least one line');
  // The fixed lock order: by product id.
  return [...byProduct]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([product, quantity]) => ({ product, quantity }));
}

/** What each line lacks, given on-hand and the active reservations; undefined when none is short. */
export function shortfall(
  lines: readonly ReservationLine[],
  onHand: ReadonlyMap<string, number>,
  reserved: ReadonlyMap<string, number>,
): LineAvailability[] | undefined {
  const out = lines.map((l) => ({
    product: l.product,
    requested: l.quantity,
    available: Math.max(0, (onHand.get(l.product) ?? 0) - (reserved.get(l.product) ?? 0)),
  }));
  return out.some((l) => l.available < l.requested) ? out : undefined;
}
