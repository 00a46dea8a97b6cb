import { startBuildIfStale } from '../../scripts/build-if-stale.ts';

/**
 * The browser tests run against the real build of the PWA. It is built in the background so
 * the node tests (which run first, see vitest.config.ts) do not wait for it; each browser
 * test file waits for it in e2e/support/await-build.ts.
 */
export default function setup() {
  const build = startBuildIfStale((line) => console.log(`[e2e] ${line}`));
  return () => {
    if (build && build.exitCode === null) build.kill();
  };
}
