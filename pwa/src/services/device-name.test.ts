// Device names are computed on the device from what the browser says about itself.
import { describe, expect, it } from 'vitest';
import { deviceNameFrom } from './device-name.ts';

describe('device names', () => {
  it('names the browser and the platform from the user agent', () => {
    const cases: [string, string][] = [
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Mac'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ];
    for (const [ua, name] of cases) expect(deviceNameFrom(ua)).toBe(name);
  });

  it('prefers client hints, and falls back to a plain name', () => {
    expect(deviceNameFrom('Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0', { platform: 'macOS', brands: [{ brand: 'Microsoft Edge' }] })).toBe('Edge on Mac');
    expect(deviceNameFrom(undefined)).toBe('MessageHub on the web');
    expect(deviceNameFrom('Node.js/22')).toBe('MessageHub on the web');
    expect(deviceNameFrom('x'.repeat(500) + ' Firefox/1').length).toBeLessThanOrEqual(64);
  });
});
