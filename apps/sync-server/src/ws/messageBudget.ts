/**
 * A connection's message budget (SPEC MAL2): a token bucket refilled at `ratePerSecond`, holding
 * up to `burst`. Every frame costs one token; messages that make the server do work proportional
 * to the document (sync step 1, awareness queries and updates) cost more. A connection that spends
 * its budget is not read until it refills: a flood is slowed down, nothing it sent is dropped, and
 * the kernel's socket buffers — not the server's memory — hold what waits.
 */
export const MESSAGE_COST = {
  frame: 1,
  awareness: 20,
  /** Answered with everything the client lacks: up to the whole document. */
  syncStep1: 1_000,
  queryAwareness: 200,
} as const;

export class MessageBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Spend `cost` tokens; returns how long to stop reading (ms), 0 while within budget. */
  spend(cost: number): number {
    const now = this.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.last) / 1000) * this.ratePerSecond,
    );
    this.last = now;
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }
}
