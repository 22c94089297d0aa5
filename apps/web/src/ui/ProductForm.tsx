import { materialize, PRODUCT_STATUSES, type Product } from '@concord/shared';
import { useReadOnly } from './hooks';
import type { DocSession, PresenceState } from '../sync/docSession';
import { CollabText, RegisterInput, RegisterSelect } from './fields';
import { StockAvailability } from './StockAvailability';
import { StockField } from './StockField';
import type { Workspace } from '../sync/workspace';
import { TagsField } from './TagsField';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK', 'DKK', 'NOK', 'PLN', 'CAD', 'AUD'];

function parsePrice(text: string) {
  const t = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{0,2})?$/.test(t))
    return { ok: false as const, message: 'Price must be an amount like 12.50' };
  return { ok: true as const, value: Math.round(Number(t) * 100) };
}

export function ProductForm({
  session,
  others,
  workspace,
}: {
  session: DocSession;
  others: PresenceState[];
  workspace: Workspace;
}) {
  const p = materialize(session.doc, session.kind, session.docName.id) as Product;
  const ro = Boolean(useReadOnly(session));
  const common = { session, readOnly: ro, others };
  const currencies = CURRENCIES.includes(p.currency) ? CURRENCIES : [p.currency, ...CURRENCIES];
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()} aria-label="Product">
      <h1 className="doc-title">{p.name}</h1>
      <div className="grid">
        <RegisterInput {...common} field="name" label="Name" value={p.name} />
        <RegisterInput
          {...common}
          field="sku"
          label="SKU"
          value={p.sku}
          parse={(t) => ({ ok: true, value: t.toUpperCase() })}
        />
        <RegisterInput
          {...common}
          field="priceCents"
          label="Price"
          inputMode="decimal"
          value={(p.priceCents / 100).toFixed(2)}
          parse={parsePrice}
        />
        <RegisterSelect
          {...common}
          field="currency"
          label="Currency"
          value={p.currency}
          options={currencies.map((c) => ({ value: c, label: c }))}
        />
        <RegisterSelect
          {...common}
          field="status"
          label="Status"
          value={p.status}
          options={PRODUCT_STATUSES.map((s) => ({
            value: s,
            label: s[0]!.toUpperCase() + s.slice(1),
          }))}
        />
        <StockField {...common} field="stock" label="Stock" stock={p.stock} />
      </div>
      <StockAvailability workspace={workspace} product={session.docName.id} stock={p.stock} />
      <CollabText
        {...common}
        field="description"
        label="Description"
        value={p.description}
        rows={6}
      />
      <TagsField {...common} field="tags" label="Tags" tags={p.tags} />
    </form>
  );
}
