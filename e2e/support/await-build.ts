// Runs before every browser test file: the app build started by global-build.ts must be done.
import { awaitBuild } from '../../scripts/build-if-stale.ts';

await awaitBuild();
