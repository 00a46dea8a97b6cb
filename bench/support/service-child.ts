// The sync service alone in its own process, so its memory and CPU can be measured
// apart from the load generator. Spawned by support/service.ts; talks over IPC.
import { loadConfig } from '../../sync-service/src/config.ts';
import { startService } from '../../sync-service/src/start.ts';

type Request = { id: number; type: 'rss' | 'gc' | 'stop' };

const config = loadConfig();
if (!config.databaseUrl) throw new Error('service-child: DATABASE_URL is required');
const service = await startService(config, config.databaseUrl);

function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

process.on('message', (msg: Request) => {
  void (async () => {
    if (msg.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Two full collections, with a turn of the event loop between them, settle weak callbacks.
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
      gc?.();
      process.send!({ id: msg.id, ...memory() });
    } else if (msg.type === 'rss') {
      process.send!({ id: msg.id, ...memory() });
    } else if (msg.type === 'stop') {
      await service.stop().catch(() => undefined);
      process.send!({ id: msg.id }, () => process.exit(0));
    }
  })();
});
process.on('disconnect', () => {
  void service.stop().finally(() => process.exit(0));
});
process.send!({ id: 0, type: 'ready', url: service.url, pid: process.pid });
