/** The Orders screen: every order on this device, filtered by status, and a new draft. */
import { useMemo, useState } from 'react';
import { ORDER_STATUSES } from '@concord/shared';
import type { OrderSummary } from '../../storage/docStorage';
import type { Workspace } from '../../sync/workspace';
import { formatPrice } from '../format';
import { navigate, useVanilla } from '../hooks';
import { statusLabel } from './orderStatus';

export function OrdersPage({ workspace }: { workspace: Workspace }) {
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const [status, setStatus] = useState('all');
  const [error, setError] = useState<string>();
  const canEdit = workspace.user.role !== 'viewer';
  const orders = useMemo(() => {
    const out: (OrderSummary & { id: string; unsaved: number; updatedAt: number })[] = [];
    for (const m of docs.values()) {
      if (!m.doc.startsWith('order:') || !m.summary || !('customer' in m.summary)) continue;
      out.push({
        ...m.summary,
        id: m.doc.slice(6),
        unsaved: m.pending.length,
        updatedAt: m.updatedAt ?? 0,
      });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
  }, [docs]);
  const shown = orders.filter((o) => status === 'all' || o.status === status);

  async function create() {
    setError(undefined);
    try {
      navigate(`/order/${await workspace.createOrder()}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <section aria-labelledby="orders-title">
      <div className="toolbar">
        <h1 id="orders-title">Orders</h1>
        <select
          aria-label="Filter by status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
        >
          <option value="all">All statuses</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
        {canEdit && (
          <button type="button" className="primary" onClick={() => void create()}>
            New order
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <p className="muted small">
        {shown.length} of {orders.length} orders
      </p>
      {shown.length === 0 ? (
        <p className="empty">
          {orders.length === 0 ? 'No orders yet.' : 'No orders with this status.'}
        </p>
      ) : (
        <ul className="catalog" aria-label="Orders">
          {shown.map((o) => (
            <li key={o.id} className="product-row">
              <a href={`#/order/${o.id}`} className="product-link">
                <span className="product-name">{o.customer || 'No customer yet'}</span>
                <span className="muted">
                  {o.lines} {o.lines === 1 ? 'line' : 'lines'} ·{' '}
                  {formatPrice(o.totalCents, o.currency)}
                </span>
              </a>
              <span className={`pill pill-order-${o.status}`}>{statusLabel(o.status)}</span>
              {o.unsaved > 0 && <span className="badge warn">not yet saved</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
