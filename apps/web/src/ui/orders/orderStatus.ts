/** How an order's status and the steps of its saga read in the app. */
const LABELS: Record<string, string> = {
  draft: 'Draft',
  placed: 'Reserved',
  payment_requested: 'Awaiting payment',
  paid: 'Paid',
  stock_committed: 'Stock updated',
  fulfilled: 'Fulfilled',
  released: 'Released',
  cancelled: 'Cancelled',
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

/** A step of the timeline, from one status change the server made. */
export interface TimelineStep {
  readonly label: string;
  readonly state: 'done' | 'pending' | 'failed';
  readonly at: number;
}

/** The saga's steps as a person reads them (Reserved ✓ → Payment … → Paid ✓ → Stock updated ✓). */
export function stepOf(status: string, reason: string, at: number, last: boolean): TimelineStep[] {
  switch (status) {
    case 'placed':
      return [{ label: 'Reserved', state: 'done', at }];
    case 'payment_requested':
      return [{ label: 'Payment', state: last ? 'pending' : 'done', at }];
    case 'paid':
      return [{ label: 'Paid', state: 'done', at }];
    case 'stock_committed':
      return [{ label: 'Stock updated', state: 'done', at }];
    case 'fulfilled':
      return [{ label: 'Fulfilled', state: 'done', at }];
    case 'released':
      return [
        { label: reason || 'Not completed', state: 'failed', at },
        { label: 'Reservation released', state: 'done', at },
      ];
    case 'cancelled':
      return [
        { label: 'Cancelled', state: 'failed', at },
        { label: 'Reservation released', state: 'done', at },
      ];
    default:
      return [];
  }
}
