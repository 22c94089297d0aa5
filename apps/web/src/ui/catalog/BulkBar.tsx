/**
 * Bulk edits of the selected products: status, add or remove a tag, change the price by an amount
 * or a percentage. Applied on this device at once (offline too) as ordinary edits; the sync status
 * then says what is not yet saved, as for any edit.
 */
import { useState, type FormEvent } from 'react';
import { PRODUCT_STATUSES, type BulkChange, type ProductStatus } from '@concord/shared';
import type { BulkResult } from '../../sync/bulkEdit';
import type { Workspace } from '../../sync/workspace';

export function BulkBar({
  workspace,
  selected,
  onClear,
}: {
  workspace: Workspace;
  selected: ReadonlySet<string>;
  onClear: () => void;
}) {
  const [status, setStatus] = useState<ProductStatus>('active');
  const [tag, setTag] = useState('');
  const [priceBy, setPriceBy] = useState<'percent' | 'amount'>('percent');
  const [priceValue, setPriceValue] = useState('');
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<{ text: string; error: boolean }>();

  async function run(change: BulkChange, what: string) {
    setBusy(`${what}…`);
    setOutcome(undefined);
    try {
      const docs = [...selected];
      const result = await workspace.bulkEdit(docs, change, (done) =>
        setBusy(`${what}: ${done.toLocaleString()} of ${docs.length.toLocaleString()}`),
      );
      setOutcome({ text: describe(result), error: result.refused.length > 0 });
    } catch (error) {
      setOutcome({ text: error instanceof Error ? error.message : String(error), error: true });
    } finally {
      setBusy(undefined);
    }
  }

  function onPrice(e: FormEvent) {
    e.preventDefault();
    const value = Number(priceValue.replace(',', '.'));
    if (!priceValue.trim() || !Number.isFinite(value) || value === 0) {
      setOutcome({ text: 'Enter a price change other than zero, such as 10 or -5.', error: true });
      return;
    }
    void run(
      priceBy === 'percent'
        ? { kind: 'price', by: 'percent', value }
        : { kind: 'price', by: 'amount', value: Math.round(value * 100) },
      'Changing prices',
    );
  }

  function onTag(kind: 'addTag' | 'removeTag') {
    const t = tag.trim();
    if (!t) {
      setOutcome({ text: 'Enter a tag first.', error: true });
      return;
    }
    void run({ kind, tag: t }, kind === 'addTag' ? 'Adding the tag' : 'Removing the tag');
  }

  const n = selected.size;
  return (
    <section className="bulk-bar" aria-label="Bulk edit">
      <p className="bulk-count">
        <strong>{n.toLocaleString()}</strong> {n === 1 ? 'product' : 'products'} selected
        <button type="button" onClick={onClear} disabled={busy !== undefined}>
          Clear selection
        </button>
      </p>
      <div className="bulk-actions">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run({ kind: 'status', status }, 'Setting the status');
          }}
        >
          <label htmlFor="bulk-status">Status</label>
          <select
            id="bulk-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as ProductStatus)}
          >
            {PRODUCT_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <button type="submit" disabled={busy !== undefined}>
            Set status
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onTag('addTag');
          }}
        >
          <label htmlFor="bulk-tag">Tag</label>
          <input
            id="bulk-tag"
            value={tag}
            maxLength={40}
            onChange={(e) => setTag(e.target.value)}
          />
          <button type="submit" disabled={busy !== undefined}>
            Add tag
          </button>
          <button type="button" disabled={busy !== undefined} onClick={() => onTag('removeTag')}>
            Remove tag
          </button>
        </form>
        <form onSubmit={onPrice}>
          <label htmlFor="bulk-price">Change price by</label>
          <input
            id="bulk-price"
            inputMode="decimal"
            value={priceValue}
            placeholder="10 or -5"
            onChange={(e) => setPriceValue(e.target.value)}
          />
          <select
            aria-label="Price change unit"
            value={priceBy}
            onChange={(e) => setPriceBy(e.target.value as 'percent' | 'amount')}
          >
            <option value="percent">%</option>
            <option value="amount">in currency</option>
          </select>
          <button type="submit" disabled={busy !== undefined}>
            Change prices
          </button>
        </form>
      </div>
      <p className="bulk-outcome" aria-live="polite">
        {busy ??
          (outcome && <span className={outcome.error ? 'error' : 'ok'}>{outcome.text}</span>)}
      </p>
    </section>
  );
}

function describe(result: BulkResult): string {
  const parts = [`Changed ${result.changed.toLocaleString()} ${plural(result.changed)}`];
  if (result.unchanged > 0) parts.push(`${result.unchanged.toLocaleString()} already as asked`);
  if (result.refused.length > 0) {
    const reasons = [...new Set(result.refused.map((r) => r.reason))].join('; ');
    parts.push(`${result.refused.length.toLocaleString()} not changed (${reasons})`);
  }
  return `${parts.join(', ')}.`;
}

function plural(n: number): string {
  return n === 1 ? 'product' : 'products';
}
