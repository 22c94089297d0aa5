/**
 * The server's clock, as this device estimates it from the `Date` header of the server's answers
 * (the health probe runs every few seconds). Register timestamps are made in this time, so a
 * device whose own clock is minutes or days off still writes stamps the server accepts (the server
 * refuses stamps too far ahead of its clock). The estimate is kept in localStorage, so edits made
 * offline after a reload use it too. Offsets within the header's one-second resolution are ignored.
 */
const KEY = 'concord.serverOffsetMs';
const RESOLUTION_MS = 2_000;

export class ServerTime {
  private offsetMs = 0;

  constructor(
    private readonly storage?: Pick<Storage, 'getItem' | 'setItem'>,
    private readonly local: () => number = () => Date.now(),
  ) {
    const saved = Number(storage?.getItem(KEY));
    if (Number.isFinite(saved)) this.offsetMs = saved;
  }

  /** Milliseconds since the epoch on the server's clock (estimated). */
  now(): number {
    return this.local() + this.offsetMs;
  }

  get offset(): number {
    return this.offsetMs;
  }

  /** Learn from one answer: its `Date` header, and when the request was sent and answered. */
  observe(serverDate: string | null, sentAt: number, receivedAt: number): void {
    const server = serverDate ? Date.parse(serverDate) : Number.NaN;
    if (!Number.isFinite(server) || receivedAt < sentAt) return;
    // The header is cut to the second: the server's time was in [server, server + 1000).
    const estimate = server + 500 - (sentAt + receivedAt) / 2;
    const next = Math.abs(estimate) < RESOLUTION_MS ? 0 : Math.round(estimate);
    if (Math.abs(next - this.offsetMs) < RESOLUTION_MS && next !== 0) return;
    if (next === this.offsetMs) return;
    this.offsetMs = next;
    this.storage?.setItem(KEY, String(next));
  }
}
