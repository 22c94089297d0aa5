/**
 * Admission (stages 3–5 of the write pipeline) of one client update into a loaded document: does
 * it fit the document's size bound, can it be integrated as a whole (inspect.ts), does it add
 * structs only under the writer's own client ids (identity.ts), and does it touch only known
 * fields, naming the writer in its own slots, with bounded clocks (structure.ts)? Nothing is
 * applied or sent here; an admitted update's new client ids are claimed for the writer.
 */
import * as Y from 'yjs';
import { ReasonCode, type Principal, type Reason } from '@concord/shared';
import type { LiveDoc } from '../docs/liveDoc.js';
import { inspectUpdate } from './inspect.js';
import { checkStructure } from './structure.js';

export interface AdmitOptions {
  readonly maxSkewMs: number;
  readonly maxDocBytes: number;
  readonly nowMs: number;
  /**
   * Other instances write the same log: an update that refers to content this copy lacks, or
   * writes under a client id nobody owns here yet, may only be ahead of this copy (SPEC SO7).
   */
  readonly mayLag: boolean;
}

export type Admission =
  | { readonly status: 'admitted'; readonly newClients: ReadonlySet<number> }
  | { readonly status: 'behind' }
  | {
      readonly status: 'refused';
      readonly code: Reason;
      readonly message: string;
      readonly clients?: number[];
    };

const refused = (code: Reason, message: string, clients?: number[]): Admission => ({
  status: 'refused',
  code,
  message,
  ...(clients ? { clients } : {}),
});

export function admitUpdate(
  live: LiveDoc,
  update: Uint8Array,
  user: Principal,
  options: AdmitOptions,
): Admission {
  if (live.bytes + update.byteLength > options.maxDocBytes) {
    // The bound over-counts (deleted content shrinks a document): measure before refusing.
    live.bytes = Y.encodeStateAsUpdate(live.doc).byteLength;
    if (live.bytes + update.byteLength > options.maxDocBytes)
      return refused(
        ReasonCode.documentTooLarge,
        `the document would exceed ${options.maxDocBytes} bytes`,
      );
  }
  // 3 inspect
  const inspection = inspectUpdate(live.doc, update);
  if (!inspection.ok) {
    if (options.mayLag && inspection.code === 'missing_dependencies') return { status: 'behind' };
    return refused(
      inspection.code === 'missing_dependencies'
        ? ReasonCode.missingDependencies
        : ReasonCode.malformedUpdate,
      inspection.message,
    );
  }
  // 4 identity
  const foreign = live.owners.foreign(inspection.newClients, user.id);
  // With other instances, "unowned here" may be "owned in the log": catch up before claiming.
  if (options.mayLag && (foreign.length > 0 || live.owners.unowned(inspection.newClients)))
    return { status: 'behind' };
  if (foreign.length > 0) {
    return refused(
      ReasonCode.forgedIdentity,
      `the update writes under Yjs client id ${foreign.slice(0, 3).join(', ')}, which belongs to another user`,
      foreign,
    );
  }
  // 5 structure
  const problem = checkStructure(
    {
      kind: live.kind,
      user: user.id,
      nowMs: options.nowMs,
      maxSkewMs: options.maxSkewMs,
      docVersion: live.schemaVersion,
    },
    inspection.rootNames,
    inspection.items,
  );
  if (problem) return refused(problem.code, problem.message);
  live.owners.claim(inspection.newClients, user.id);
  return { status: 'admitted', newClients: inspection.newClients };
}
