// Journey 14 — Attachments (issue 15, protocol §14): ada picks a photo while offline; it is
// sealed at once and waits in the outbox with its message; when the network returns the
// file is uploaded, then the message is sent; bea sees the preview made on ada's device and
// downloads the full file, which matches the original byte for byte.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { message, openConversationWith, send, stateOf, submitRestore } from '../support/journeys.ts';
import { twoPeople, type TwoPeople } from '../support/people.ts';

/** A noisy PNG made by a canvas in the page (so the browser can decode it for the preview). */
async function makePng(page: Page, width: number, height: number): Promise<Buffer> {
  const bytes = await page.evaluate(async ([w, h]) => {
    const canvas = new OffscreenCanvas(w!, h!);
    const ctx = canvas.getContext('2d')!;
    const img = ctx.createImageData(w!, h!);
    let x = 12345;
    for (let i = 0; i < img.data.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      img.data[i] = i % 4 === 3 ? 255 : x >>> 24;
    }
    ctx.putImageData(img, 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, [width, height]);
  return Buffer.from(bytes);
}

describe('journey 14: attachments', () => {
  let people: TwoPeople;
  let ctxA: BrowserContext;
  let pageA: Page;
  let pageB: Page;

  beforeAll(async () => {
    people = await twoPeople({ conversation: true });
    ({ ada: { ctx: ctxA, page: pageA }, bea: { page: pageB } } = people);
    await send(pageA, 'a photo is coming');
    await message(pageB, 'a photo is coming').waitFor({ timeout: 10_000 });
  });

  afterAll(async () => people?.close());

  it('a photo chosen offline is delivered with its preview after reconnect, and the full file downloads and matches', async () => {
    const png = await makePng(pageA, 700, 500);
    expect(png.length).toBeGreaterThan(3 * 65536);
    await ctxA.setOffline(true);
    await pageA.getByTestId('attach-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const sentA = message(pageA, 'sunset.png');
    await sentA.waitFor({ timeout: 20_000 });
    expect(await stateOf(pageA, 'sunset.png')).toBe('queued');
    // Nothing reached bea while ada is offline.
    await pageB.waitForTimeout(500);
    expect(await message(pageB, 'sunset.png').count()).toBe(0);

    await ctxA.setOffline(false);
    const got = message(pageB, 'sunset.png');
    await got.waitFor({ timeout: 30_000 });
    await expect.poll(() => stateOf(pageA, 'sunset.png'), { timeout: 20_000 }).not.toBe('queued');

    // The preview, opened on bea's device, is a small image with the sender's dimensions.
    const preview = got.getByTestId('attachment-preview');
    await expect.poll(() => preview.getAttribute('src'), { timeout: 20_000 }).toMatch(/^blob:/);
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(320);
    expect(await preview.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(229);

    // The full file, downloaded and opened on demand, is the original byte for byte.
    const [download] = await Promise.all([pageB.waitForEvent('download', { timeout: 30_000 }), got.getByTestId('attachment-download').click()]);
    expect(download.suggestedFilename()).toBe('sunset.png');
    const saved = await readFile((await download.path())!);
    expect(saved.equals(png)).toBe(true);
    expect(await got.getByTestId('attachment-error').count()).toBe(0);
    expect(people.errors).toEqual([]);
  });

  it('a 20 MB file comes back with the history on a new device after a restore, byte for byte', async () => {
    const big = randomBytes(20 * 1_000_000);
    // Chosen from disk, as a person does: given as a buffer, Playwright would send the 20 MB
    // to the browser as base64 inside one protocol message (CPU the journeys are short of).
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-journey-14-'));
    const file = path.join(dir, 'report.bin');
    await writeFile(file, big);
    await pageA.getByTestId('attach-input').setInputFiles(file);
    await message(pageA, 'report.bin').waitFor({ timeout: 60_000 });
    await expect.poll(() => stateOf(pageA, 'report.bin'), { timeout: 120_000 }).not.toBe('queued');
    await rm(dir, { recursive: true, force: true }); // the browser reads a chosen file lazily, until it is sealed
    // bea restores her account on a fresh profile from her key file
    const { page } = await people.newDevice();
    await submitRestore(page, people.bea.keyFile, people.bea.passphrase, 'messagehub-bea.keyfile.json');
    await page.getByTestId('restore-summary').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('restore-failed').getAttribute('data-count')).toBe('0');
    await page.getByTestId('restore-continue').click();
    await openConversationWith(page, 'ada');
    const got = message(page, 'report.bin');
    await got.waitFor({ timeout: 30_000 });
    // previews first: the photo's preview is there without downloading the photo
    await expect.poll(() => message(page, 'sunset.png').getByTestId('attachment-preview').getAttribute('src'), { timeout: 20_000 }).toMatch(/^blob:/);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), got.getByTestId('attachment-download').click()]);
    const saved = await readFile((await download.path())!);
    expect(saved.length).toBe(big.length);
    expect(saved.equals(big)).toBe(true);
    expect(people.errors).toEqual([]);
  });
});
