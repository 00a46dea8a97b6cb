// Start the real sync service in a child process (see service-child.ts) on 127.0.0.1.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../db/embedded.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');

export interface Memory { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }

export interface ServiceProcess {
  /** http://localhost:PORT (a secure context for the browser). */
  url: string;
  origin: string;
  port: number;
  pid: number;
  /** process.memoryUsage() of the service, after two forced full GCs when `gc`. */
  memory(gc?: boolean): Promise<Memory>;
  /** VmRSS from /proc, without disturbing the process: bytes. */
  rssFromProc(): number;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  databaseUrl: string;
  /** Serve the built PWA from here (default dist/pwa). */
  staticDir?: string;
  /** Extra environment (settings of sync-service/src/config.ts). */
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the service into this directory when it stops. */
  cpuProfileDir?: string;
}

/**
 * Rate limits are lifted: benchmarks measure capacity from one address, not the limiter.
 * Everything else is the production configuration.
 */
export async function startServiceProcess(opts: ServiceOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  if (opts.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`);
  const child: ChildProcess = fork(path.join(HERE, 'service-child.ts'), [], {
    cwd: ROOT,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      ORIGINS: `${origin},http://127.0.0.1:${port}`,
      DATABASE_URL: opts.databaseUrl,
      STATIC_DIR: opts.staticDir ?? path.join(ROOT, 'dist/pwa'),
      LOG_LEVEL: process.env.BENCH_SERVICE_LOG ?? 'silent',
      LOGIN_RATE_LIMIT_PER_MINUTE: '100000000',
      APPEND_RATE_LIMIT_PER_MINUTE: '100000000',
      ...opts.env,
    },
  });
  let nextId = 1;
  const waiting = new Map<number, (msg: any) => void>();
  let exited = false;
  const ready = new Promise<{ pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service did not start within 60 s')), 60_000);
    child.on('message', (msg: any) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
        return;
      }
      waiting.get(msg?.id)?.(msg);
      waiting.delete(msg?.id);
    });
    child.once('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`the service exited with code ${code} before it was ready`));
      for (const [, w] of waiting) w({ error: 'exited' });
      waiting.clear();
    });
  });
  const { pid } = await ready;
  const ask = (type: string, timeoutMs = 30_000): Promise<any> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error('the service has exited'));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the service did not answer "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      child.send({ id, type });
    });
  return {
    url: origin,
    origin,
    port,
    pid,
    memory: async (gc = false) => {
      const m = await ask(gc ? 'gc' : 'rss');
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    },
    rssFromProc: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
      return kb * 1024;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        await ask('stop', 20_000);
      } catch {
        child.kill('SIGKILL');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
