// GPC Amd F Table 6-12: effective (5F25) and expiration (5F24) dates, 4 bytes BCD YYYYMMDD, in UTC.
import { decodeBcd, encodeBcd } from '../bytes/index.js';
import { malformed } from './errors.js';

const DAY_MS = 86_400_000;

function utcDay(year: number, month: number, day: number): Date | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? d
    : undefined;
}

/** The UTC calendar day of `date` as BCD YYYYMMDD. */
export function encodeGpDate(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999))
    throw malformed(`date ${date.toISOString?.() ?? date} cannot be written as YYYYMMDD`);
  const text = `${y}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
  return encodeBcd(text);
}

/**
 * The first instant of the day (or, with `endOfDay`, its last millisecond: an expiration date is valid through
 * that day). Besides BCD this accepts the form OpenSCP's test certificates use, each two-digit group as a binary
 * byte (14 1C 0C 1F = 2028-12-31), when the bytes are not BCD; certificates we issue are always BCD.
 */
export function decodeGpDate(bytes: Uint8Array, context: string, endOfDay = false): Date {
  if (bytes.length !== 4)
    throw malformed(`${context}: date has ${bytes.length} bytes, expected 4 (YYYYMMDD)`);
  let parts: number[];
  const isBcd = bytes.every((b) => b >> 4 <= 9 && (b & 0x0f) <= 9);
  if (isBcd) {
    const text = decodeBcd(bytes);
    parts = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  } else {
    if (!bytes.every((b) => b <= 99))
      throw malformed(`${context}: date is neither BCD YYYYMMDD nor binary digit pairs`);
    parts = [bytes[0] * 100 + bytes[1], bytes[2], bytes[3]];
  }
  const day = utcDay(parts[0], parts[1], parts[2]);
  if (day === undefined) throw malformed(`${context}: ${parts.join('-')} is not a calendar date`);
  return endOfDay ? new Date(day.getTime() + DAY_MS - 1) : day;
}
