/**
 * The simulated payment provider's own books: what it decided for each charge key, and what it
 * refunded. They are durable and outside the consumer that asks for charges — as a real
 * provider's are — so a payment consumer killed mid-charge and asking again under the same key
 * gets the first answer, and an audit can compare money taken with orders committed (SAGA3).
 *
 * Two implementations (sqliteChargeBook.ts, postgresChargeBook.ts) pass one contract suite
 * (test/chargeBook.test.ts).
 */

/** What the simulator decided for a charge; `timeout` means it never answers. */
export type SimulatedOutcome = 'paid' | 'declined' | 'timeout';

export interface ChargeEntry {
  readonly key: string;
  readonly outcome: SimulatedOutcome;
  readonly amountCents: number;
  readonly currency: string;
  readonly refunded: boolean;
}

export interface ChargeBook {
  /** Records `entry` unless `key` has a decision already; answers the decision that stands. */
  decide(entry: Omit<ChargeEntry, 'refunded'>, now: number): Promise<SimulatedOutcome>;
  /** Marks a paid charge refunded (nothing else changes); idempotent. */
  refund(key: string, now: number): Promise<void>;
  entries(): Promise<ChargeEntry[]>;
  close(): Promise<void>;
}

/** A row as both books store it. */
export interface ChargeRow {
  key: string;
  outcome: SimulatedOutcome;
  amount_cents: number | string;
  currency: string;
  refunded_at: number | string | null;
}

export function toChargeEntry(r: ChargeRow): ChargeEntry {
  return {
    key: r.key,
    outcome: r.outcome,
    amountCents: Number(r.amount_cents),
    currency: r.currency,
    refunded: r.refunded_at !== null,
  };
}
