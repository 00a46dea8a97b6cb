import { buildIfStale } from '../../scripts/build-if-stale.ts';

/** The browser tests run against the real build of the PWA. */
export default function setup() {
  buildIfStale(undefined, (line) => console.log(`[e2e] ${line}`));
}
