/**
 * The built web app, served by @fastify/static from its dist folder (SPEC HTTP9): hashed assets
 * cached for a year, everything else revalidated; paths are resolved inside the root by the
 * plugin (no traversal, no dotfiles); a GET for a client-side route (no file extension) gets
 * index.html. Returns the handler for single-segment paths, whose route the WebSocket endpoint
 * shares, or undefined when there is no built app.
 */
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendJson } from './context.js';

export type FileHandler = (request: FastifyRequest, reply: FastifyReply, name: string) => unknown;

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/;

export async function registerStatic(
  app: FastifyInstance,
  webDist: string | undefined,
): Promise<FileHandler> {
  const root = webDist ? resolve(webDist) : undefined;
  const notFound = (reply: FastifyReply) => sendJson(reply, 404, { error: 'not found' });
  if (!root || !existsSync(join(root, 'index.html'))) {
    app.setNotFoundHandler((_req, reply) => notFound(reply));
    return (_req, reply) => notFound(reply);
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders(res, path) {
      const immutable = path.startsWith(join(root, 'assets') + '/');
      res.setHeader(
        'cache-control',
        immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const appRoute =
      (req.method === 'GET' || req.method === 'HEAD') &&
      !path.startsWith('/api/') &&
      extname(path) === '';
    if (!appRoute) return notFound(reply);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
  return (req, reply, name) => {
    if (!FILE_NAME.test(name)) return reply.callNotFound();
    return reply.sendFile(name);
  };
}
