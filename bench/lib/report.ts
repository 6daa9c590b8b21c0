/**
 * What the bench reports: every figure as measurements, each with its unit, the target it is compared
 * with and whether it meets it. Numbers are reported, never asserted: a missed target is a result, not an
 * error. Written to bench/results.json and printed as a Markdown table.
 */

export type Target = {
  readonly comparator: '<=' | '>=' | '<';
  readonly value: number;
  readonly unit: string;
};

export type Status = 'pass' | 'miss' | 'info' | 'not implemented' | 'not installed';

export type Measurement = {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  readonly target?: Target;
  readonly status: Status;
  readonly note?: string;
};

export type FigureResult = {
  readonly id: string;
  readonly title: string;
  /** How it was measured, in one or two sentences. */
  readonly method: string;
  readonly measurements: readonly Measurement[];
  /** Raw trials and anything a reader may want to check the figure with. */
  readonly details: Record<string, unknown>;
  /** When and how bench/run.ts measured it (`--only` keeps earlier figures beside new ones). */
  readonly measured?: { readonly mode: string; readonly date: string; readonly loadAverage: number };
};

/** A measurement compared with its target (`value: null` is a figure that could not be measured). */
export function measured(
  name: string,
  value: number | null,
  unit: string,
  target?: Target,
  note?: string,
): Measurement {
  const status: Status =
    target === undefined || value === null ? 'info' : meets(value, target) ? 'pass' : 'miss';
  return { name, value, unit, status, ...(target ? { target } : {}), ...(note ? { note } : {}) };
}

export function unavailable(
  name: string,
  unit: string,
  status: Status,
  note: string,
  target?: Target,
): Measurement {
  return { name, value: null, unit, status, note, ...(target ? { target } : {}) };
}

function meets(value: number, target: Target): boolean {
  switch (target.comparator) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '<':
      return value < target.value;
  }
}

/** A number as people read it: 3 significant digits, thousands separated. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  const abs = Math.abs(value);
  const text =
    abs >= 1000
      ? Math.round(value).toLocaleString('en-US')
      : abs >= 100
        ? value.toFixed(0)
        : abs >= 1
          ? value.toPrecision(3)
          : abs === 0
            ? '0'
            : value.toPrecision(3);
  return unit === '$' ? `$${text}` : `${text} ${unit}`;
}

export function markdownTable(figures: readonly FigureResult[]): string {
  const rows = ['| # | Figure | Measurement | Value | Target | Result |', '|---|---|---|---|---|---|'];
  figures.forEach((figure, index) => {
    for (const m of figure.measurements) {
      const target = m.target ? `${m.target.comparator} ${formatValue(m.target.value, m.target.unit)}` : '';
      const result = m.note ? `${m.status} (${m.note})` : m.status;
      rows.push(
        `| ${index + 1} | ${figure.title} | ${m.name} | ${formatValue(m.value, m.unit)} | ${target} | ${result} |`,
      );
    }
  });
  return rows.join('\n');
}
