/**
 * Colour, decided for each stream on its own: `fleetbench show <id> > out.txt` writes no escape codes to
 * the file even when stderr is a terminal, and progress on a terminal stays coloured while stdout is piped.
 * The codes come from picocolors; the decision follows Node's own (util.styleText, tty.hasColors):
 * FORCE_COLOR wins (`0` or `false` turn colour off, `1`, `2`, `3`, `true` or empty turn it on even on a
 * pipe), then NO_COLOR (https://no-color.org) and TERM=dumb turn it off, else a terminal gets colour.
 */
import picocolors from 'picocolors';

export type Colours = ReturnType<typeof picocolors.createColors>;
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** The part of a stream colour depends on: `process.stdout`, `process.stderr`. */
export type ColourStream = {
  readonly isTTY?: boolean;
  hasColors?(count?: number, env?: object): boolean;
};

const FORCE_ON = new Set(['', '1', '2', '3', 'true']);

/**
 * @example
 * colourEnabled(process.stdout, { FORCE_COLOR: '1' }); // true, even when stdout is a file
 * colourEnabled({ isTTY: true, hasColors: () => true }, { NO_COLOR: '1' }); // false
 */
export function colourEnabled(
  stream: ColourStream,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return FORCE_ON.has(force);
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined || env.TERM === 'dumb') return false;
  // A terminal's own answer (its colour depth, NODE_DISABLE_COLORS); any terminal if it cannot tell.
  return stream.hasColors?.(16, env) ?? true;
}

/**
 * The styles for text written to `stream`: real ones, or identity functions when it gets no colour.
 * @example
 * const colours = coloursFor(process.stdout, process.env);
 * process.stdout.write(`${colours.green('OK')}\n`);
 */
export function coloursFor(stream: ColourStream, env: Readonly<Record<string, string | undefined>>): Colours {
  return picocolors.createColors(colourEnabled(stream, env));
}

/** Styles that colour nothing: for captured output in tests and for streams that get no colour. */
export const NO_COLOURS: Colours = picocolors.createColors(false);
