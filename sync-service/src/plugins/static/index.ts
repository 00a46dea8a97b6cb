import type { Plugin, Request, ResponseObject } from '@hapi/hapi';
import Boom from '@hapi/boom';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Serves the built PWA on the API's port, with SPA fallback, and sets the
 * browser-side security headers on every response.
 *
 * CSP: no inline script and no eval; 'wasm-unsafe-eval' only so that the
 * Argon2id WebAssembly of the key file can be compiled (THREATS W1).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Files that must be revalidated each time so a new version can be noticed. */
const NO_CACHE = new Set(['/', '/index.html', '/sw.js', '/manifest.webmanifest', '/registerSW.js']);

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isHttps(request: Request): boolean {
  if (request.server.info.protocol === 'https') return true;
  return request.server.app.config.trustProxy && request.headers['x-forwarded-proto'] === 'https';
}

export const staticPlugin: Plugin<{ dir: string }> = {
  name: 'static',
  register(server, options) {
    const dir = options.dir;
    const indexFile = path.join(dir, 'index.html');

    server.ext('onPreResponse', (request, h) => {
      const response = request.response as ResponseObject | (Error & { output?: { headers: Record<string, string> } });
      const set = (name: string, value: string) => {
        if ('isBoom' in response && (response as any).isBoom) (response as any).output.headers[name] = value;
        else (response as ResponseObject).header(name, value);
      };
      set('content-security-policy', CONTENT_SECURITY_POLICY);
      set('x-content-type-options', 'nosniff');
      set('referrer-policy', 'no-referrer');
      set('x-frame-options', 'DENY');
      set('cross-origin-opener-policy', 'same-origin');
      set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
      if (isHttps(request)) set('strict-transport-security', 'max-age=31536000; includeSubDomains');
      if (request.path.startsWith('/api/') || request.path === '/healthz') set('cache-control', 'no-store');
      return h.continue;
    });

    server.route({
      method: 'GET',
      path: '/{file*}',
      options: { auth: false },
      handler(request, h) {
        const requested = request.params.file ? `/${request.params.file}` : '/';
        if (requested.startsWith('/api/')) throw Boom.notFound('no such route');
        if (!existsSync(indexFile)) {
          throw Boom.notFound('the app is not built: run `npm run build`');
        }
        const target = path.normalize(path.join(dir, requested));
        const inside = target.startsWith(dir + path.sep);
        const hasExtension = path.extname(requested) !== '';
        // SPA fallback: any navigation path without a file extension gets index.html.
        const file = inside && isFile(target) ? target : hasExtension ? null : indexFile;
        if (!file) throw Boom.notFound('no such file');
        const name = '/' + path.relative(dir, file).split(path.sep).join('/');
        const cache = NO_CACHE.has(name) || file === indexFile
          ? 'no-cache'
          : name.startsWith('/assets/')
            ? 'public, max-age=31536000, immutable'
            : 'public, max-age=3600';
        return h.file(file, { confine: dir, etagMethod: 'hash' }).header('cache-control', cache);
      },
    });
  },
};
