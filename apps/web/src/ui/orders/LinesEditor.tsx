/**
 * An order's lines: product, quantity, unit price and line total; add a product by searching the
 * catalog on this device, change a quantity, remove a line. Each change is an ordinary edit of the
 * order (one line at a time, LINE1), offline too.
 */
import { useMemo, useState } from 'react';
import type { FieldIssue, Order } from '@concord/shared';
import type { DocSession } from '../../sync/docSession';
import type { Workspace } from '../../sync/workspace';
import { filterRows, rowsOf } from '../catalog/catalogRows';
import { formatPrice } from '../format';
import { useVanilla } from '../hooks';

type Line = Order['lines'][number];

const newLineId = () => `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function LinesEditor(props: {
  workspace: Workspace;
  session: DocSession;
  lines: readonly Line[];
  readOnly: boolean;
}) {
  const { workspace, session, lines, readOnly } = props;
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const products = useMemo(() => rowsOf(docs), [docs]);
  const [query, setQuery] = useState('');
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const matches = query.trim() ? filterRows(products, query, 'current').slice(0, 8) : [];
  const nameOf = (id: string) => products.find((p) => p.id === id)?.name ?? id;

  function setLine(id: string, line: Omit<Line, 'id'>) {
    setIssues(session.edit({ lines: { set: { [id]: line } } }));
  }

  function add(productId: string) {
    const p = products.find((r) => r.id === productId);
    if (!p) return;
    const existing = lines.find((l) => l.product === productId);
    if (existing) {
      const { id, ...line } = existing;
      setLine(id, { ...line, quantity: line.quantity + 1 });
    } else
      setLine(newLineId(), {
        product: productId,
        quantity: 1,
        unitPriceCents: p.priceCents,
        currency: p.currency,
      });
    setQuery('');
  }

  return (
    <div className="lines">
      <table className="lines-table" aria-label="Order lines">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col" className="num">
              Quantity
            </th>
            <th scope="col" className="num">
              Unit price
            </th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No lines yet{readOnly ? '.' : ': add products below.'}
              </td>
            </tr>
          )}
          {lines.map(({ id, ...line }) => (
            <tr key={id}>
              <td>
                <a href={`#/product/${line.product}`}>{nameOf(line.product)}</a>
              </td>
              <td className="num">
                <input
                  type="number"
                  min={1}
                  max={10_000}
                  className="qty"
                  aria-label={`Quantity of ${nameOf(line.product)}`}
                  value={line.quantity}
                  readOnly={readOnly}
                  onChange={(e) => {
                    const quantity = Number(e.target.value);
                    if (Number.isInteger(quantity) && quantity >= 1)
                      setLine(id, { ...line, quantity });
                  }}
                />
              </td>
              <td className="num">{formatPrice(line.unitPriceCents, line.currency)}</td>
              <td className="num">
                {formatPrice(line.unitPriceCents * line.quantity, line.currency)}
              </td>
              <td>
                {!readOnly && (
                  <button
                    type="button"
                    onClick={() => setIssues(session.edit({ lines: { remove: [id] } }))}
                  >
                    Remove<span className="visually-hidden"> {nameOf(line.product)}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {issues.length > 0 && (
        <p role="alert" className="error small">
          {issues.map((i) => i.message).join('; ')}
        </p>
      )}
      {!readOnly && (
        <div className="add-line">
          <label htmlFor="add-product">Add a product</label>
          <input
            id="add-product"
            type="search"
            placeholder="Search name, SKU or tag"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          {matches.length > 0 && (
            <ul className="matches" aria-label="Matching products">
              {matches.map((p) => (
                <li key={p.id}>
                  <button type="button" onClick={() => add(p.id)}>
                    Add {p.name}
                    <span className="muted"> · {formatPrice(p.priceCents, p.currency)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
