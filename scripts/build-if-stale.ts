import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['pwa', 'protocol/src', 'vite.config.ts', 'package-lock.json'];

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const info = statSync(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const child of readdirSync(entry)) {
    if (child === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, child)));
  }
  return newest;
}

const DEFAULT_OUT = path.join(ROOT, 'dist/pwa');

/** 0 when the build is missing, else when its index.html was written. */
function builtAt(outDir: string): number {
  const built = path.join(outDir, 'index.html');
  return existsSync(built) ? statSync(built).mtimeMs : 0;
}

function isStale(outDir: string): boolean {
  return builtAt(outDir) <= Math.max(...SOURCES.map((s) => newestMtime(path.join(ROOT, s))));
}

/** Build the PWA into `outDir` when the build is missing or older than its sources. */
export function buildIfStale(outDir = DEFAULT_OUT, log: (line: string) => void = console.log): boolean {
  if (!isStale(outDir)) return false;
  log(builtAt(outDir) ? 'the app build is older than its sources: rebuilding…' : 'building the app…');
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the app build failed (see the output above)');
  return true;
}

// The test run builds in the background (e2e/support/global-build.ts) while the node tests
// run, and the browser tests wait for it (e2e/support/await-build.ts). They are in other
// processes, so the state goes through a file: {state: building|ok|failed, pid}.
const BUILD_STATE = path.join(ROOT, 'dist/pwa-build-state.json');

type BuildState = { state: 'building' | 'ok' | 'failed'; pid?: number };

function writeState(state: BuildState): void {
  mkdirSync(path.dirname(BUILD_STATE), { recursive: true });
  writeFileSync(BUILD_STATE, JSON.stringify(state));
}

/** Starts the build of the default output when stale and returns at once (null: nothing to build). */
export function startBuildIfStale(log: (line: string) => void = console.log): ChildProcess | null {
  if (!isStale(DEFAULT_OUT)) {
    writeState({ state: 'ok' });
    return null;
  }
  log(builtAt(DEFAULT_OUT) ? 'the app build is older than its sources: rebuilding in the background…' : 'building the app in the background…');
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  writeState({ state: 'building', pid: child.pid });
  child.on('exit', (code) => writeState({ state: code === 0 ? 'ok' : 'failed' }));
  return child;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** True while a build started by startBuildIfStale (this run's, in the background) is still going. */
export function buildInProgress(): boolean {
  try {
    const current = JSON.parse(readFileSync(BUILD_STATE, 'utf8')) as BuildState;
    return current.state === 'building' && current.pid !== undefined && alive(current.pid);
  } catch {
    return false;
  }
}

/** Resolves when the build started by startBuildIfStale is done; throws if it failed or died. */
export async function awaitBuild(timeoutMs = 10 * 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let current: BuildState | null;
    try {
      current = existsSync(BUILD_STATE) ? (JSON.parse(readFileSync(BUILD_STATE, 'utf8')) as BuildState) : null;
    } catch {
      current = { state: 'building' }; // read while being written: look again
    }
    if (current?.state === 'ok' && builtAt(DEFAULT_OUT) > 0) return;
    if (current?.state === 'failed') throw new Error('the app build failed (see the output above)');
    if (current?.state === 'building' && current.pid && !alive(current.pid)) throw new Error('the app build stopped before it finished');
    if (!current) throw new Error('no app build was started (run the browser tests through vitest: e2e/support/global-build.ts)');
    if (Date.now() > end) throw new Error(`the app build took more than ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfStale();
