import { lab } from 'd3-color';
import { describe, expect, it } from 'vitest';
import { hostColour, hostPalette, SMALL_FLEET_COLOURS } from '../../lib/cli/report/host-palette.js';

/** CIE76 colour difference: about 2 is just noticeable, 20 and more tells colours apart at a glance. */
function deltaE(a: string, b: string): number {
  const x = lab(a);
  const y = lab(b);
  return Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
}

function closestPair(colours: readonly string[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < colours.length; i++) {
    for (let j = i + 1; j < colours.length; j++)
      min = Math.min(min, deltaE(colours[i] ?? '', colours[j] ?? ''));
  }
  return min;
}

describe('Function: hostPalette', () => {
  it('uses the colour-blind-safe palette for up to 8 hosts', () => {
    expect(hostPalette(3)).toEqual(['#0072B2', '#E69F00', '#009E73']);
    expect(hostPalette(8)).toEqual([...SMALL_FLEET_COLOURS]);
  });

  it.each([9, 12, 24, 32])('keeps %i hosts apart: every colour different, none close to another', (count) => {
    // Act
    const colours = hostPalette(count);

    // Assess: a cycled 8-colour list would repeat (ΔE 0); the spread palette stays well apart.
    expect(colours).toHaveLength(count);
    expect(new Set(colours).size).toBe(count);
    expect(closestPair(colours)).toBeGreaterThan(15);
  });

  it('keeps every colour visible on the white page', () => {
    for (const colour of hostPalette(24)) expect(deltaE(colour, '#ffffff')).toBeGreaterThan(35);
  });
});

describe('Function: hostColour', () => {
  it('colours a host by its place in the run, whichever hosts a metric has', () => {
    const hosts = Array.from({ length: 24 }, (_, i) => `host-${i + 1}`);

    expect(hostColour('host-2', ['host-1', 'host-2'])).toBe('#E69F00');
    expect(hostColour('host-20', hosts)).toBe(hostPalette(24)[19]);
    expect(hostColour('host-20', hosts)).not.toBe(hostColour('host-4', hosts));
  });
});
