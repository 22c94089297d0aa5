/**
 * The order ledger: the strongly consistent half of Concord (SPEC RES1–RES6, SAGA1). Placing an
 * order reserves stock for every line, all or nothing; a reservation is later released (declined,
 * cancelled, expired) or committed (paid: the stock leaves on-hand). The ledger also holds where
 * each placed order is (its state), changed only by conditional transitions in the same
 * transactions as the reservations, so a payment and an expiry can never both win. Available
 * stock is
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
import type { OrderStatus } from '@concord/shared';

export interface ReservationLine {
  readonly product: string;
  readonly quantity: number;
}

type ReservationState = 'active' | 'released' | 'committed';

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

/** A reservation as both ledgers store it (PostgreSQL answers bigints as text). */
export interface ReservationRow {
  order_id: string;
  product: string;
  quantity: number;
  state: ReservationState;
  reason: string | null;
  created_at: number | string;
  expires_at: number | string;
  updated_at: number | string;
}

export function toReservation(r: ReservationRow): Reservation {
  return {
    order: r.order_id,
    product: r.product,
    quantity: r.quantity,
    state: r.state,
    reason: r.reason ?? undefined,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    updatedAt: Number(r.updated_at),
  };
}

/** One line of a refused placement: what was asked, and what is available now. */
export interface LineAvailability {
  readonly product: string;
  readonly requested: number;
  readonly available: number;
}

/** Where an order is, as the ledger decides it (the order document's status mirrors it). */
export type OrderState = Exclude<OrderStatus, 'draft'>;

/** States that give the units back: entering one releases the order's active reservations. */
export const RELEASING: readonly OrderState[] = ['released', 'cancelled'];
/** States a saga still has work in (resumed after a restart). */
export const IN_PROGRESS: readonly OrderState[] = ['placed', 'payment_requested', 'paid'];

/** A line as it was placed: the draft's line with the unit price captured then. */
interface PlacedLine {
  readonly id: string;
  readonly product: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly currency: string;
}

/**
 * What was placed, kept with the order when it is reserved: what paying asks (the payment step
 * reads it here, so a payment consumer of its own needs nothing else) and the lines with their
 * captured prices (the document is made to show them, even when a crash came between).
 */
export interface PlacementTerms {
  readonly amountCents: number;
  readonly currency: string;
  /** The order's customer reference. */
  readonly customer: string;
  readonly lines: readonly PlacedLine[];
}

export function placementTermsOf(json: string | null): PlacementTerms | undefined {
  return json ? (JSON.parse(json) as PlacementTerms) : undefined;
}

export interface OrderRecord {
  readonly order: string;
  readonly state: OrderState;
  /** Why it is there (declined, cancelled, expired, …), when that says more than the state. */
  readonly reason: string | undefined;
  readonly updatedAt: number;
  readonly reservations: readonly Reservation[];
  /** What was placed (orders placed before terms were kept have none). */
  readonly terms: PlacementTerms | undefined;
}

export type ReserveResult =
  /** Placed now, or (`replayed`) placed by an earlier attempt and not released since (RES3). */
  | { readonly ok: true; readonly record: OrderRecord; readonly replayed: boolean }
  /** Nothing reserved: at least one line is short; every line with what is available (RES1). */
  | { readonly ok: false; readonly lines: readonly LineAvailability[] };

/** On-hand stock of products, read while the ledger holds their locks. */
export type OnHand = (products: readonly string[]) => Promise<ReadonlyMap<string, number>>;

export interface ReservationStore {
  /**
   * Places an order: reserves every line, or none (RES1, RES2), and records the order as `placed`
   * in the same transaction. Lines naming one product twice are summed. An order placed before is
   * not placed again (RES3) unless it was released; a cancelled order stays cancelled. `terms`
   * are kept with the order (the payment step and the document read them).
   */
  reserve(
    order: string,
    lines: readonly ReservationLine[],
    onHand: OnHand,
    now: number,
    ttlMs: number,
    terms?: PlacementTerms,
  ): Promise<ReserveResult>;
  /**
   * Moves the order from one of `from` to `to` (the saga's steps, SAGA1); undefined when it is in
   * none of them — the step was done already, or overtaken. Entering a releasing state releases
   * the active reservations in the same transaction (RES4).
   */
  transition(
    order: string,
    from: readonly OrderState[],
    to: OrderState,
    reason: string | undefined,
    now: number,
  ): Promise<OrderRecord | undefined>;
  /**
   * `paid` → `stock_committed`: `decrement` runs first, under the products' locks, with the lines
   * to take off on-hand (it must be idempotent: after a crash the step runs again); then the
   * reservations are committed with the state (RES6). Undefined when the order is not `paid`.
   */
  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<OrderRecord | undefined>;
  /** The order as the ledger knows it, or undefined if it was never placed. */
  record(order: string): Promise<OrderRecord | undefined>;
  /** Orders in `placed`, `payment_requested` or `paid` (a restart resumes them). */
  inProgress(limit: number): Promise<string[]>;
  /** Records that the order's document shows `state` (a later state is not overwritten). */
  projected(order: string, state: OrderState): Promise<void>;
  /** Orders whose document does not show their state yet (a crash came in between, SAGA3). */
  unprojected(limit: number): Promise<string[]>;
  /**
   * How many orders are in each in-progress state, and how many of those have been there since
   * before `stuckBefore` (metrics: sagas per step, stuck orders).
   */
  progress(stuckBefore: number): Promise<{ state: OrderState; count: number; stuck: number }[]>;
  /** Σ active reservations per product (products without any: 0). */
  reserved(products: readonly string[]): Promise<Map<string, number>>;
  /** Orders still `placed` or `payment_requested` whose reservation ran out of time (RES5). */
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
