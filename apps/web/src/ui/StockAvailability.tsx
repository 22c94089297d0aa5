/**
 * A product's stock as the order ledger sees it: on hand, reserved by placed orders, available.
 * Asked of the server (reservations are strong, online only), again when the stock changes and
 * every few seconds.
 */
import { useEffect, useState } from 'react';
import type { StockLevel } from '../api/client';
import type { Workspace } from '../sync/workspace';
import { useVanilla } from './hooks';

const REFRESH_MS = 5_000;

export function StockAvailability(props: { workspace: Workspace; product: string; stock: number }) {
  const { workspace, product, stock } = props;
  const online = useVanilla(workspace.catalog, (s) => s.catchUp) !== 'offline';
  const [level, setLevel] = useState<StockLevel>();
  useEffect(() => {
    if (!online) return;
    let live = true;
    const read = () =>
      workspace.api.stock([product]).then(
        ([l]) => live && setLevel(l),
        () => undefined,
      );
    void read();
    const timer = setInterval(() => void read(), REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [workspace, product, stock, online]);

  if (!online || !level)
    return <p className="muted small availability">Available stock is shown when online.</p>;
  return (
    <p className="availability" aria-label="Availability">
      On hand <strong>{level.onHand}</strong> · Reserved <strong>{level.reserved}</strong> ·
      Available <strong>{level.available}</strong>
    </p>
  );
}
