/**
 * The order editor: customer, lines with totals, notes — a draft edited like any document,
 * offline too — and the server commands: place (it needs a connection, and says so) and cancel,
 * with the saga's timeline.
 */
import { useRef, useState } from 'react';
import { materialize, orderTotals, type Order } from '@concord/shared';
import { ApiError } from '../../api/client';
import type { DocSession, PresenceState } from '../../sync/docSession';
import type { Workspace } from '../../sync/workspace';
import { CollabText, RegisterInput } from '../fields';
import { formatPrice } from '../format';
import { useReadOnly, useVanilla } from '../hooks';
import { LinesEditor } from './LinesEditor';
import { OrderTimeline } from './OrderTimeline';
import { statusLabel } from './orderStatus';

const SAVE_WAIT_MS = 10_000;

export function OrderForm(props: {
  workspace: Workspace;
  session: DocSession;
  others: PresenceState[];
}) {
  const { workspace, session, others } = props;
  const o = materialize(session.doc, session.kind, session.docName.id) as Order;
  const ro = Boolean(useReadOnly(session));
  const editable = !ro && (o.status === 'draft' || o.status === 'released');
  const common = { session, readOnly: !editable, others };
  const totals = [...orderTotals(o.lines)];
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()} aria-label="Order">
      <h1 className="doc-title">
        Order {o.customer ? `for ${o.customer}` : session.docName.id}{' '}
        <span className={`pill pill-order-${o.status}`}>{statusLabel(o.status)}</span>
      </h1>
      {o.statusReason && <p className="muted">{o.statusReason}</p>}
      <RegisterInput {...common} field="customer" label="Customer" value={o.customer} />
      <LinesEditor workspace={workspace} session={session} lines={o.lines} readOnly={!editable} />
      <p className="order-total">
        Total:{' '}
        <strong>
          {totals.length === 0
            ? formatPrice(0, 'EUR')
            : totals.map(([currency, cents]) => formatPrice(cents, currency)).join(' + ')}
        </strong>
        {o.status === 'draft' && (
          <span className="muted small"> (prices are confirmed when the order is placed)</span>
        )}
      </p>
      <CollabText {...common} readOnly={ro} field="notes" label="Notes" value={o.notes} rows={3} />
      {!ro && <Commands workspace={workspace} session={session} order={o} />}
      <OrderTimeline api={workspace.api} doc={session.name} status={o.status} />
    </form>
  );
}

function Commands({
  workspace,
  session,
  order,
}: {
  workspace: Workspace;
  session: DocSession;
  order: Order;
}) {
  const online = useVanilla(workspace.catalog, (s) => s.catchUp) !== 'offline';
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  // One key per attempt: a retry after a lost answer places the order once.
  const key = useRef(crypto.randomUUID());
  const canPlace = order.status === 'draft' || order.status === 'released';
  const canCancel = order.status === 'placed' || order.status === 'payment_requested';
  const canFulfil = order.status === 'stock_committed';

  async function place() {
    if (!workspace.online.isOnline()) {
      setMessage({
        text: 'Placing an order needs a connection — your draft is saved.',
        error: true,
      });
      return;
    }
    setBusy(true);
    setMessage({ text: 'Placing the order…', error: false });
    try {
      await savedOnServer(session);
      await workspace.api.placeOrder(session.docName.id, key.current);
      key.current = crypto.randomUUID();
      setMessage(undefined);
    } catch (error) {
      setMessage({ text: placeError(error, workspace), error: true });
    } finally {
      setBusy(false);
    }
  }

  async function command(run: (id: string) => Promise<unknown>) {
    setBusy(true);
    try {
      await run(session.docName.id);
      setMessage(undefined);
    } catch (error) {
      setMessage({ text: error instanceof Error ? error.message : String(error), error: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="order-commands">
      {canPlace && (
        <button
          type="button"
          className="primary"
          disabled={busy || order.lines.length === 0}
          onClick={() => void place()}
        >
          Place order
        </button>
      )}
      {canCancel && (
        <button
          type="button"
          disabled={busy}
          onClick={() => void command((id) => workspace.api.cancelOrder(id))}
        >
          Cancel order
        </button>
      )}
      {canFulfil && (
        <button
          type="button"
          disabled={busy}
          onClick={() => void command((id) => workspace.api.fulfilOrder(id))}
        >
          Mark fulfilled
        </button>
      )}
      {canPlace && !online && (
        <span className="muted small">Placing an order needs a connection.</span>
      )}
      {message && (
        <p role={message.error ? 'alert' : undefined} className={message.error ? 'error' : 'muted'}>
          {message.text}
        </p>
      )}
    </div>
  );
}

/** Waits until the server holds every edit of this draft (the order placed is what it holds). */
function savedOnServer(session: DocSession): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (s: { acked: boolean; unsaved: number }) => s.acked && s.unsaved === 0;
    if (done(session.store.getState())) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error('Your latest changes to this order are not saved yet; try again in a moment.'),
      );
    }, SAVE_WAIT_MS);
    const unsubscribe = session.store.subscribe((s) => {
      if (!done(s)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

function placeError(error: unknown, workspace: Workspace): string {
  if (error instanceof ApiError && error.status === 409 && Array.isArray(error.body.lines)) {
    const lines = error.body.lines as { product: string; requested: number; available: number }[];
    const name = (id: string) => {
      const s = workspace.catalog.getState().docs.get(`product:${id}`)?.summary;
      return s && 'sku' in s ? s.name : id;
    };
    return `Not enough stock: ${lines
      .filter((l) => l.available < l.requested)
      .map((l) => `${name(l.product)} — ${l.requested} wanted, ${l.available} available`)
      .join('; ')}.`;
  }
  if (error instanceof TypeError)
    return 'Placing an order needs a connection — your draft is saved.';
  return error instanceof Error ? error.message : String(error);
}
