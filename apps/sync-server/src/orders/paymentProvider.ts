/**
 * Payments, behind a small interface, and the simulated provider Concord ships (no real money
 * moves). A charge is idempotent on its key, as real providers' are: asking again answers what the
 * first request answered, so a step re-run after a crash never charges twice.
 */

export type ChargeOutcome = 'paid' | 'declined';

export interface ChargeRequest {
  /** Idempotency key: one charge per key, however often it is asked for. */
  readonly key: string;
  readonly amountCents: number;
  readonly currency: string;
  /** The order's customer reference (the simulator's test rules read it). */
  readonly customer: string;
}

export interface PaymentProvider {
  /** May never answer: the caller gives up after its timeout (and refunds to be safe). */
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Gives back what was charged under `key`, if anything; idempotent. */
  refund(key: string): Promise<void>;
}

export interface SimulatedPaymentOptions {
  /** How long a charge takes (ms). */
  readonly latencyMs: number;
  /** Share of charges declined at random, 0–1. */
  readonly declineRate: number;
  readonly random?: () => number;
}

/**
 * The simulated provider. Test rules, like a card processor's test cards: a customer reference
 * containing "decline" is declined, one containing "timeout" never answers; every other charge
 * succeeds after `latencyMs`, except a `declineRate` share declined at random.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly charges = new Map<string, Promise<ChargeOutcome>>();
  private readonly settled = new Map<string, ChargeOutcome>();
  readonly refunded = new Set<string>();

  constructor(private readonly options: SimulatedPaymentOptions) {}

  charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const known = this.charges.get(request.key);
    if (known) return known;
    const outcome = this.decide(request);
    const answer =
      outcome === 'timeout'
        ? new Promise<ChargeOutcome>(() => undefined)
        : new Promise<ChargeOutcome>((resolve) =>
            setTimeout(() => {
              this.settled.set(request.key, outcome);
              resolve(outcome);
            }, this.options.latencyMs).unref(),
          );
    this.charges.set(request.key, answer);
    return answer;
  }

  async refund(key: string): Promise<void> {
    if (this.settled.get(key) === 'paid') this.refunded.add(key);
  }

  /** What was charged and not refunded, by key (for tests and the audit of a run). */
  charged(): string[] {
    return [...this.settled]
      .filter(([k, o]) => o === 'paid' && !this.refunded.has(k))
      .map(([k]) => k);
  }

  private decide(request: ChargeRequest): ChargeOutcome | 'timeout' {
    const customer = request.customer.toLowerCase();
    if (customer.includes('decline')) return 'declined';
    if (customer.includes('timeout')) return 'timeout';
    return (this.options.random ?? Math.random)() < this.options.declineRate ? 'declined' : 'paid';
  }
}
