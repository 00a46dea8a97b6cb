import { createHash } from 'node:crypto';
import { ProtocolError } from '../../../protocol/src/encoding.ts';
import { parseEnvelope, parseEpochRecord } from '../../../protocol/src/wire.ts';
import type { Envelope } from '../../../protocol/src/envelope.ts';
import type { EpochRecord } from '../../../protocol/src/epoch.ts';
import { InvalidError, TooLargeError } from './errors.ts';

/**
 * A body as stored: protocol's parsers return a fresh object with a fixed key
 * order, so its JSON text is canonical and its SHA-256 tells "the same bytes again"
 * (an idempotent retry) from "other content under the same id" (a conflict).
 */
export interface Canonical<T> {
  value: T;
  text: string;
  hash: Buffer;
}

function canonical<T>(value: T): Canonical<T> {
  const text = JSON.stringify(value);
  return { value, text, hash: createHash('sha256').update(text, 'utf8').digest() };
}

/** Size cap first (413), then protocol's strict shape check (400). */
export function checkEnvelope(json: unknown, maxBytes: number): Canonical<Envelope> {
  if (Buffer.byteLength(JSON.stringify(json) ?? '', 'utf8') > maxBytes) {
    throw new TooLargeError('envelope_too_large', `an envelope may be at most ${maxBytes} bytes of JSON`);
  }
  try {
    return canonical(parseEnvelope(json));
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidError('invalid_envelope', error.message);
    throw error;
  }
}

export function checkEpochRecord(json: unknown, maxBytes: number): Canonical<EpochRecord> {
  if (Buffer.byteLength(JSON.stringify(json) ?? '', 'utf8') > maxBytes) {
    throw new TooLargeError('envelope_too_large', `an epoch record may be at most ${maxBytes} bytes of JSON`);
  }
  try {
    return canonical(parseEpochRecord(json));
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidError('invalid_epoch_record', error.message);
    throw error;
  }
}
