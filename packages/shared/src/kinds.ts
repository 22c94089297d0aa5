/** The registry of document kinds, keyed by the kind part of a document name. */
import type { DocumentKindName } from './docName.js';
import type { DocumentKind } from './documentKind.js';
import { orderKind } from './order.js';
import { productKind } from './product.js';
import { profileKind } from './profile.js';

export const documentKinds: Readonly<Record<DocumentKindName, DocumentKind<object>>> = {
  product: productKind,
  profile: profileKind,
  order: orderKind,
};
