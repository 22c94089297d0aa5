/**
 * User administration over HTTP, for admins (SPEC ACC5–ACC7): list and search people, create or
 * invite them, change role, name, disabled or password, make a password-reset link, and read the
 * auth audit log. Changes apply live: see accounts/accountAdmin.ts.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Account } from '../../accounts/accountStore.js';
import { ROLES } from '../../auth/tokens.js';
import { adminOnly, sendJson, userOf, type HttpContext } from '../context.js';
import { accountErrors, emailSchema, nameSchema, passwordSchema } from './auth.js';

/** An account as an admin sees it: never its password hash. */
const publicAccount = (a: Account) => ({
  id: a.id,
  email: a.email,
  name: a.name,
  role: a.role,
  disabled: a.disabled,
  invited: a.passwordHash === undefined,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});

const linkUrl = (secret: string) => `/#/link?token=${secret}`;

const userId = z.string().regex(/^[\w-]{1,64}$/);

export function userRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = adminOnly(ctx);
  const store = ctx.auth.directory.store;

  r.get(
    '/api/users',
    {
      preValidation: admin,
      schema: {
        querystring: z
          .object({
            search: z.string().max(100).optional(),
            after: z.string().max(320).optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const { search, after, limit } = req.query;
      const users = await store.list({
        limit,
        ...(search ? { search } : {}),
        ...(after ? { after } : {}),
      });
      return sendJson(reply, 200, {
        users: users.map(publicAccount),
        next: users.length === limit ? users[users.length - 1]!.email : null,
      });
    },
  );

  r.post(
    '/api/users',
    {
      preValidation: admin,
      schema: {
        body: z
          .object({
            email: emailSchema,
            name: nameSchema,
            role: z.enum(ROLES),
            password: passwordSchema.optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const { account, link } = await accountErrors(ctx.admin.create(userOf(req).id, req.body));
      return sendJson(reply, 201, {
        user: publicAccount(account),
        ...(link ? { inviteUrl: linkUrl(link) } : {}),
      });
    },
  );

  r.patch(
    '/api/users/:id',
    {
      preValidation: admin,
      schema: {
        params: z.object({ id: userId }),
        body: z
          .object({
            name: nameSchema.optional(),
            role: z.enum(ROLES).optional(),
            disabled: z.boolean().optional(),
            password: passwordSchema.optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const account = await accountErrors(
        ctx.admin.update(userOf(req).id, req.params.id, req.body),
      );
      return sendJson(reply, 200, { user: publicAccount(account) });
    },
  );

  r.post(
    '/api/users/:id/reset-link',
    { preValidation: admin, schema: { params: z.object({ id: userId }) } },
    async (req, reply) => {
      const secret = await accountErrors(ctx.admin.link(userOf(req).id, req.params.id, 'reset'));
      return sendJson(reply, 201, { url: linkUrl(secret) });
    },
  );

  r.get(
    '/api/auth/events',
    {
      preValidation: admin,
      schema: {
        querystring: z
          .object({
            user: z.string().max(400).optional(),
            before: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const { user, before, limit } = req.query;
      const events = await store.events({
        limit,
        ...(user ? { subject: user } : {}),
        ...(before ? { before } : {}),
      });
      return sendJson(reply, 200, {
        events,
        next: events.length === limit ? events[events.length - 1]!.seq : null,
      });
    },
  );
}
