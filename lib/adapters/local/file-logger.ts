/** The local engine's log: JSON lines in `<dataDir>/engine.log`, echoed to stderr with `--debug`. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/ports.js';

export function fileLogger(dataDir: string, options: { echo?: boolean } = {}): Logger {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'engine.log');
  // The file exists from the start, as the README lists it, even before the engine has anything to say.
  try {
    appendFileSync(path, '');
  } catch {
    // As for a line below: the log never stops the engine.
  }
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
    try {
      appendFileSync(path, `${line}\n`);
    } catch {
      // A log line must never end the run (its data directory may be gone, or the disk full).
    }
    if (options.echo) process.stderr.write(`${line}\n`);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
