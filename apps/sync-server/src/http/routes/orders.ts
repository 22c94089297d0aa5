/**
 * Orders over HTTP (SPEC ORD2–ORD4): placing (an Idempotency-Key is required: a retried request
 * after a lost answer must not place twice) and cancelling are server commands; a product's stock
 * says what is on hand, reserved and available.
 */
import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DOC_ID_PATTERN, canWrite, writeRefusal } from '@concord/shared';
import {
  HttpError,
  authenticate,
  sendJson,
  sendStored,
  userOf,
  type HttpContext,
} from '../context.js';
import { Idempotency } from '../idempotency.js';

const params = z.object({ id: z.string().regex(DOC_ID_PATTERN, 'an order id') });

export function orderRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const orders = ctx.orders;
  if (!orders) return;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const idempotency = new Idempotency(ctx.hub.store);
  const auth = authenticate(ctx);

  async function command(
    id: string,
    req: FastifyRequest,
    reply: FastifyReply,
    name: 'place' | 'cancel' | 'fulfil',
  ) {
    const user = userOf(req);
    const docName = { kind: 'order' as const, id };
    if (!canWrite(user, docName)) throw new HttpError(403, writeRefusal(user, docName));
    const header = req.headers['idempotency-key'];
    if (name === 'place' && (header === undefined || header === ''))
      throw new HttpError(400, 'placing an order needs an Idempotency-Key header');
    const key = Idempotency.key(user.id, `${name} order:${id}`, header);
    return sendStored(reply, await idempotency.run(key, () => orders![name](id)));
  }

  r.post('/api/orders/:id/place', { preValidation: auth, schema: { params } }, (req, reply) =>
    command(req.params.id, req, reply, 'place'),
  );
  r.post('/api/orders/:id/cancel', { preValidation: auth, schema: { params } }, (req, reply) =>
    command(req.params.id, req, reply, 'cancel'),
  );
  r.post('/api/orders/:id/fulfil', { preValidation: auth, schema: { params } }, (req, reply) =>
    command(req.params.id, req, reply, 'fulfil'),
  );

  r.get(
    '/api/orders/:id/placement',
    { preValidation: auth, schema: { params } },
    async (req, reply) => {
      const answer = await orders.answer(req.params.id, 200);
      return sendStored(reply, { response: answer, replayed: false });
    },
  );

  r.get(
    '/api/stock',
    {
      preValidation: auth,
      schema: {
        querystring: z.object({
          products: z
            .string()
            .max(100 * 65)
            .transform((s) => s.split(',').filter(Boolean))
            .pipe(z.array(z.string().regex(DOC_ID_PATTERN)).min(1).max(100)),
        }),
      },
    },
    async (req, reply) => sendJson(reply, 200, await orders.availability(req.query.products)),
  );
}
