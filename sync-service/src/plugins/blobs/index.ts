import type { Plugin } from '@hapi/hapi';
import { createBlobRoute } from './create.ts';
import { finishBlobRoute } from './finish.ts';
import { getChunkRoute } from './get-chunk.ts';
import { putChunkRoute } from './put-chunk.ts';
import { blobStatusRoute } from './status.ts';

/**
 * Attachment blobs (protocol SPEC §14, THREATS A3): sealed chunks uploaded by a member of a
 * conversation, resumable, downloaded by its members; opaque to the service. Blobs that no
 * message names are collected once an hour after the grace period (config.blobGraceSeconds).
 */
export const blobsPlugin: Plugin<void> = {
  name: 'blobs',
  register(server) {
    server.route([createBlobRoute, blobStatusRoute, putChunkRoute, finishBlobRoute, getChunkRoute]);
    let timer: NodeJS.Timeout | undefined;
    const collect = async () => {
      try {
        const gone = await server.app.database.db.blobs.collect(server.app.config.blobGraceSeconds);
        if (gone.length > 0) server.log(['blobs', 'info'], { message: `collected ${gone.length} unreferenced blobs` });
      } catch (error) {
        server.log(['blobs', 'warn'], { message: `collecting blobs failed: ${(error as Error).message}` });
      }
    };
    server.ext('onPostStart', () => {
      timer = setInterval(() => void collect(), 60 * 60_000);
      timer.unref();
    });
    server.ext('onPreStop', () => {
      clearInterval(timer);
    });
  },
};
