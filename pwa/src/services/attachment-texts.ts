// Plain words for attachment failures (protocol AttachmentError codes, ATT6), in one table.
import { AttachmentError, type AttachmentFailure } from '../../../protocol/src/index.ts';
import { NetworkError } from './api.ts';

const TEXT: Record<AttachmentFailure, string> = {
  'malformed': 'This file reference cannot be read.',
  'tampered': 'This file was altered or swapped on the way: it is not shown.',
  'out-of-order': 'The parts of this file came in the wrong order: it is not shown.',
  'truncated': 'This file came incomplete: it is not shown.',
  'hash-mismatch': 'This file does not match what the sender sent: it is not shown.',
  'too-large': 'This file is too large.',
};

export function attachmentFailureText(err: unknown): string {
  if (err instanceof AttachmentError) return TEXT[err.code];
  if (err instanceof NetworkError) return 'The server cannot be reached. Try again when you are online.';
  return 'This file cannot be downloaded now.';
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} kB`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)} MB`;
}
