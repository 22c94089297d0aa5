/**
 * Document names are the contract between browser, server and storage (docs/architecture.md §4; SPEC: NAME1–NAME2):
 * `product:<id>`, `profile:<userId>` and `order:<id>`, ids of 1–64 characters from [A-Za-z0-9_-].
 */
export const DOCUMENT_KINDS = ['product', 'profile', 'order'] as const;
export type DocumentKindName = (typeof DOCUMENT_KINDS)[number];

export interface DocName {
  readonly kind: DocumentKindName;
  readonly id: string;
}

export const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type DocNameResult = { ok: true; name: DocName } | { ok: false; error: string };

export function parseDocName(text: string): DocNameResult {
  const colon = text.indexOf(':');
  if (colon < 0) {
    return {
      ok: false,
      error: `invalid document name "${truncate(text)}": expected "product:<id>" or "profile:<userId>"`,
    };
  }
  const kind = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    return {
      ok: false,
      error: `invalid document name "${truncate(text)}": unknown kind "${truncate(kind)}" (expected product, profile or order)`,
    };
  }
  if (!DOC_ID_PATTERN.test(id)) {
    return {
      ok: false,
      error: `invalid document name "${truncate(text)}": the id must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"`,
    };
  }
  return { ok: true, name: { kind: kind as DocumentKindName, id } };
}

export function formatDocName(name: DocName): string {
  if (!DOC_ID_PATTERN.test(name.id))
    throw new RangeError(`formatDocName: invalid id "${truncate(name.id)}"`);
  return `${name.kind}:${name.id}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
