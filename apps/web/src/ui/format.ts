/** One formatter per currency, made once: creating them per row per render was most of a render. */
const priceFormats = new Map<string, Intl.NumberFormat | null>();

export function formatPrice(cents: number, currency: string): string {
  let format = priceFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      format = null; // not a currency this browser knows
    }
    priceFormats.set(currency, format);
  }
  return format ? format.format(cents / 100) : `${(cents / 100).toFixed(2)} ${currency}`;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (Array.isArray(value)) return value.join(', ') || '(none)';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  sku: 'SKU',
  priceCents: 'Price',
  currency: 'Currency',
  status: 'Status',
  description: 'Description',
  tags: 'Tags',
  stock: 'Stock',
  displayName: 'Display name',
  email: 'Email',
  bio: 'Bio',
  avatarUrl: 'Avatar URL',
  locale: 'Locale',
};

export function formatFieldValue(field: string, value: unknown): string {
  if (field === 'priceCents' && typeof value === 'number') return (value / 100).toFixed(2);
  return formatValue(value);
}
