/**
 * Batched catch-up (SPEC HTTP8): for each named document the client sends its state vector and
 * gets the update it lacks, with the version it brings it to. Work yields to the event loop every
 * few milliseconds, so a request for a thousand documents never stalls other clients (LIM4).
 */
import * as Y from 'yjs';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { parseDocName } from '@concord/shared';
import { canRead } from '@concord/shared';
import { yielder } from '../../yielder.js';
import { authenticate, sendJson, userOf, type HttpContext } from '../context.js';

const MAX_SYNC_DOCS = 1_000;
const body = z.object({
  docs: z
    .record(z.string().max(200), z.string().max(65_536))
    .refine(
      (docs) => Object.keys(docs).length <= MAX_SYNC_DOCS,
      `at most ${MAX_SYNC_DOCS} documents per request`,
    ),
});

export function syncRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { hub } = ctx;
  app
    .withTypeProvider<ZodTypeProvider>()
    .post(
      '/api/sync',
      { preValidation: authenticate(ctx), bodyLimit: 8 * 1024 * 1024, schema: { body } },
      async (req, reply) => {
        const user = userOf(req);
        const out: Record<string, { update: string; version: number }> = {};
        const errors: Record<string, string> = {};
        const pause = yielder();
        for (const [raw, sv] of Object.entries(req.body.docs)) {
          await pause();
          const parsed = parseDocName(raw);
          if (!parsed.ok) {
            errors[raw] = parsed.error;
            continue;
          }
          if (!canRead(user, parsed.name)) {
            errors[raw] = 'forbidden';
            continue;
          }
          const head = await hub.store.head(raw);
          if (!head) continue;
          try {
            const stateVector =
              sv.length > 0 ? new Uint8Array(Buffer.from(sv, 'base64')) : undefined;
            if (stateVector) Y.decodeStateVector(stateVector);
            const update = await hub.updateAt(raw, head.seq, stateVector);
            await pause();
            out[raw] = { update: Buffer.from(update).toString('base64'), version: head.seq };
          } catch {
            errors[raw] = 'invalid state vector';
          }
        }
        return sendJson(reply, 200, { docs: out, errors });
      },
    );
}
