// One row of the benchmark table: a figure, the ceiling measured in the same run,
// their ratio, the goal and whether it was met.
export interface BenchRow {
  group: string;
  name: string;
  value: number;
  unit: string;
  /** The best this machine can do for the same work, measured in the same run. */
  ceiling?: number;
  ceilingName?: string;
  /** value / ceiling (or ceiling / value for throughputs: always "times the ideal cost"). */
  ratio?: number;
  goal?: string;
  met?: boolean;
  note?: string;
}

export const round = (x: number, digits = 2): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** A row that says a benchmark could not produce its figure, and why. */
export function failedRow(group: string, name: string, why: string): BenchRow {
  return { group, name, value: NaN, unit: '', met: false, note: why };
}

function fmt(x: number | undefined): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The whole run as one Markdown table (pasteable into BENCHMARKS.md), notes numbered below it. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['group', 'figure', 'value', 'ceiling (same run)', 'ratio', 'goal', 'met'];
  const notes: string[] = [];
  const body = rows.map((r) => {
    let name = r.name;
    if (r.note) {
      notes.push(r.note);
      name += ` [${notes.length}]`;
    }
    const ceiling = r.ceiling === undefined ? '' : `${fmt(r.ceiling)} ${r.unit}${r.ceilingName ? ` (${r.ceilingName})` : ''}`;
    const met = r.met === undefined ? '' : r.met ? 'met' : '**missed**';
    return [r.group, name, `${fmt(r.value)} ${r.unit}`.trim(), ceiling, r.ratio === undefined ? '' : `${fmt(r.ratio)}×`, r.goal ?? '', met];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  if (notes.length) out.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return out.join('\n');
}
