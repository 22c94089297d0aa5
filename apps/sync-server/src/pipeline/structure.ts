/**
 * Structure stage: every new item of an update lands in a known field of the document kind and
 * holds what that field may hold — register and counter slots keyed by the writer's own client id,
 * register slots naming the writer with a bounded timestamp, plain text in text fields, meta of
 * this kind (rules in `@concord/shared` entryRules.ts; SPEC ID2, ID3, HLC6, STRUCT1).
 */
import * as Y from 'yjs';
import {
  checkMapEntry,
  fieldOfTypeName,
  ReasonCode,
  type DocumentKind,
  type Reason,
} from '@concord/shared';
import type { NewItem } from './inspect.js';

export interface StructureRefusal {
  readonly code: Reason;
  readonly message: string;
}

export interface StructureContext {
  readonly kind: DocumentKind<object>;
  /** The writer's user id, from the session. */
  readonly user: string;
  readonly nowMs: number;
  readonly maxSkewMs: number;
  /** The document's schema version (meta may not move below it). */
  readonly docVersion: number;
}

const CODES = {
  forged_identity: ReasonCode.forgedIdentity,
  clock_skew: ReasonCode.clockSkew,
  clock_range: ReasonCode.clockRange,
  unknown_type: ReasonCode.malformedUpdate,
  malformed_entry: ReasonCode.malformedUpdate,
} as const;

export function checkStructure(
  ctx: StructureContext,
  rootNames: ReadonlySet<string>,
  items: readonly NewItem[],
): StructureRefusal | undefined {
  for (const name of rootNames) {
    if (fieldOfTypeName(ctx.kind, name) === undefined) {
      return {
        code: ReasonCode.malformedUpdate,
        message: `"${name.slice(0, 60)}" is not a field of ${ctx.kind.kind}`,
      };
    }
  }
  for (const item of items) {
    if (item.typeName === undefined || item.content instanceof Y.ContentDeleted) continue;
    const target = fieldOfTypeName(ctx.kind, item.typeName);
    if (target === undefined) {
      return {
        code: ReasonCode.malformedUpdate,
        message: `"${item.typeName.slice(0, 60)}" is not a field of ${ctx.kind.kind}`,
      };
    }
    if (target !== 'meta' && target.spec.kind === 'text') {
      if (item.key !== null || !(item.content instanceof Y.ContentString)) {
        return {
          code: ReasonCode.malformedUpdate,
          message: `${target.field} holds plain text only`,
        };
      }
      continue;
    }
    if (
      item.key === null ||
      !(item.content instanceof Y.ContentAny) ||
      item.content.arr.length !== 1
    ) {
      return {
        code: ReasonCode.malformedUpdate,
        message: `${item.typeName} holds map entries only`,
      };
    }
    const check = checkMapEntry(
      ctx.kind,
      item.typeName,
      item.key,
      item.content.arr[0],
      { client: item.client, user: ctx.user, nowMs: ctx.nowMs, maxSkewMs: ctx.maxSkewMs },
      ctx.docVersion,
    );
    if (!check.ok) return { code: CODES[check.code], message: check.message };
  }
  return undefined;
}
