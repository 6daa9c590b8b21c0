/**
 * One colour per host, the same in every chart of a report, that stays distinguishable however many hosts
 * there are. Up to 8 hosts: Okabe and Ito's colour-blind-safe palette (its seven colours, black left out
 * since error bars are black, and Paul Tol's wine as the eighth). More hosts: colours spread evenly in CIE
 * LCh (hue around the circle, three lightness levels), so that no two are close — cycling a fixed list
 * would give the 9th host the 1st host's colour. The colour space conversion is d3-color's.
 */
import { hcl } from 'd3-color';

/** Okabe–Ito without black, then Tol's wine. */
export const SMALL_FLEET_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#882255',
] as const;

/** Lightness levels of the large-fleet palette: dark, middle, light enough to see on white. */
const LIGHTNESS = [42, 60, 76] as const;
const CHROMA = 58;

function displayable(hue: number, lightness: number): string {
  // Lower the chroma until the colour exists in sRGB (saturated blues and greens at high lightness do not).
  for (let chroma = CHROMA; chroma > 0; chroma -= 2) {
    const colour = hcl(hue, chroma, lightness);
    if (colour.displayable()) return colour.formatHex();
  }
  return hcl(hue, 0, lightness).formatHex();
}

/**
 * The colours of a fleet of `count` hosts, in host order.
 * @example
 * hostPalette(3); // ['#0072B2', '#E69F00', '#009E73']
 * hostPalette(24).length; // 24, all different
 */
export function hostPalette(count: number): string[] {
  if (count <= SMALL_FLEET_COLOURS.length) return SMALL_FLEET_COLOURS.slice(0, count);
  const hues = Math.ceil(count / LIGHTNESS.length);
  const colours: string[] = [];
  for (let i = 0; i < count; i++) {
    // Consecutive hosts differ in hue; every `hues` hosts the lightness changes, and the hues of each
    // level are offset by a third of a step, so no two levels line up.
    const level = Math.floor(i / hues);
    const hue = ((i % hues) * 360) / hues + (level * 360) / hues / LIGHTNESS.length + 30;
    colours.push(displayable(hue % 360, LIGHTNESS[level] ?? 60));
  }
  return colours;
}

/**
 * A host's colour: by its place in the run's host list, so a host has the same colour in every chart
 * even when a metric is reported by some hosts only (iperf3's server and clients).
 * @example
 * hostColour('host-2', ['host-1', 'host-2']); // '#E69F00'
 */
export function hostColour(host: string, hostOrder: readonly string[]): string {
  const palette = paletteOf(hostOrder.length);
  return palette[Math.max(0, hostOrder.indexOf(host))] ?? '#555555';
}

const cache = new Map<number, string[]>();
function paletteOf(count: number): string[] {
  let palette = cache.get(count);
  if (!palette) {
    palette = hostPalette(count);
    cache.set(count, palette);
  }
  return palette;
}
