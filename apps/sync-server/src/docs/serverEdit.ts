/**
 * An edit the server makes on someone's behalf (HTTP PATCH and restore, a profile's name from the
 * account): wait until this copy holds the whole log and nothing is in flight, check If-Match,
 * dry-run the patch on a copy (invalid input changes nothing: 400 per field), then submit it to
 * the write pipeline, conditional on the version when If-Match was given (SPEC HTTP1–HTTP7).
 */
import * as Y from 'yjs';
import {
  applyPatch,
  fieldsOf,
  materialize,
  validateDocument,
  type DocumentKind,
  type Patch,
} from '@concord/shared';
import type { User } from '../auth/tokens.js';
import type { StoredResponse } from '../store/eventStore.js';
import type { DocHub } from './docHub.js';
import type { LiveDoc } from './liveDoc.js';

export async function serverEdit(
  hub: DocHub,
  user: User,
  name: string,
  kind: DocumentKind<object>,
  id: string,
  ifMatch: number | undefined,
  entryKind: 'patch' | 'restore' | 'revert',
  makePatch: (live: LiveDoc) => Promise<Patch>,
): Promise<StoredResponse> {
  return hub.with(name, async (live) => {
    await quiesce(hub, live);
    if (ifMatch !== undefined && ifMatch !== live.version) return moved(live, ifMatch);
    const patch = await makePatch(live);
    await quiesce(hub, live);
    if (ifMatch !== undefined && ifMatch !== live.version) return moved(live, ifMatch);
    const ctxEdit = { clock: live.clock, writer: user.id };
    const probe = new Y.Doc();
    Y.applyUpdate(probe, Y.encodeStateAsUpdate(live.doc));
    applyPatch(probe, kind, patch, ctxEdit);
    const checked = validateDocument(kind, materialize(probe, kind, id));
    probe.destroy();
    if (!checked.ok) {
      // Only the fields this patch sets are its problem; others are compensated on the way.
      const touched = new Set(Object.keys(patch));
      const issues = checked.issues.filter((i) => touched.has(fieldsOf([i])[0] ?? ''));
      if (issues.length > 0) return json(400, { error: 'invalid document', issues });
    }
    const result = await hub.pipeline.submitEdit(
      live,
      (origin) => applyPatch(live.doc, kind, patch, ctxEdit, origin),
      user,
      entryKind,
      ifMatch,
    );
    switch (result.status) {
      case 'applied':
        hub.metrics.updatesIn.inc();
        return json(200, live.json(), { etag: `"${live.version}"` });
      case 'unchanged':
        return json(200, live.json(), { etag: `"${live.version}"` });
      case 'moved':
        return moved(live, ifMatch ?? 0);
      case 'refused':
        return json(400, { error: result.message, code: result.code });
      case 'failed':
        return json(503, { error: 'the server could not save this change; try again' });
    }
  });
}

/** Bring the copy to the log head (scale-out) and let local writes in flight commit. */
async function quiesce(hub: DocHub, live: LiveDoc): Promise<void> {
  if (hub.fanOut.shared) await hub.follower.upToHead(live);
  for (let i = 0; live.inFlight > 0 && i < 20; i++) await live.settled();
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): StoredResponse {
  return { status, body: JSON.stringify(body), headers };
}

function moved(live: LiveDoc, ifMatch: number): StoredResponse {
  return json(
    412,
    { error: `version moved: If-Match ${ifMatch}, current ${live.version}`, version: live.version },
    { etag: `"${live.version}"` },
  );
}
