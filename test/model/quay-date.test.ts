import { describe, expect, it } from 'vitest';
import { DAY_MS, formatHttpDate, formatIsoDay, formatQuayDate, formatQuayDay } from '../../src/model/quay-date.js';

describe('Quay date formats', () => {
  const at = Date.UTC(2024, 5, 3, 6, 13, 20);

  it('writes the day formats in UTC', () => {
    expect(formatQuayDay(at)).toBe('06/03/2024');
    expect(formatIsoDay(at)).toBe('2024-06-03');
    expect(formatQuayDay(Date.UTC(2024, 0, 1) - 1)).toBe('12/31/2023');
    expect(formatIsoDay(Date.UTC(2024, 0, 1) + DAY_MS - 1)).toBe('2024-01-01');
  });

  it('writes RFC 2822 (-0000) and RFC 1123 (GMT) times, null for none', () => {
    expect(formatQuayDate(at)).toBe('Mon, 03 Jun 2024 06:13:20 -0000');
    expect(formatHttpDate(at)).toBe('Mon, 03 Jun 2024 06:13:20 GMT');
    expect(formatQuayDate(null)).toBeNull();
    expect(formatHttpDate(null)).toBeNull();
  });
});
