/**
 * Payments, behind a small interface, and the simulated provider Concord ships (no real money
 * moves). A charge is idempotent on its key, as real providers' are: asking again answers what the
 * first request answered, so a step re-run after a crash never charges twice.
 */

import type { ChargeBook, SimulatedOutcome } from './chargeBook.js';

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
  readonly now?: () => number;
}

/**
 * The simulated provider. Test rules, like a card processor's test cards: a customer reference
 * containing "decline" is declined, one containing "timeout" never answers; every other charge
 * succeeds after `latencyMs`, except a `declineRate` share declined at random. What it decides is
 * written to its books before it answers, and the first decision for a key stands.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  constructor(
    private readonly book: ChargeBook,
    private readonly options: SimulatedPaymentOptions,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const outcome = await this.book.decide(
      {
        key: request.key,
        outcome: this.decide(request),
        amountCents: request.amountCents,
        currency: request.currency,
      },
      this.now(),
    );
    if (outcome === 'timeout') return new Promise<ChargeOutcome>(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs).unref());
    return outcome;
  }

  refund(key: string): Promise<void> {
    return this.book.refund(key, this.now());
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private decide(request: ChargeRequest): SimulatedOutcome {
    const customer = request.customer.toLowerCase();
    if (customer.includes('decline')) return 'declined';
    if (customer.includes('timeout')) return 'timeout';
    return (this.options.random ?? Math.random)() < this.options.declineRate ? 'declined' : 'paid';
  }
}
