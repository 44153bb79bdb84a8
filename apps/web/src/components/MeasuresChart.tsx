/** One measurement on the 0–10 scales: at referral, a progress report, or the outcome. */
export interface MeasurePoint {
  label: string;
  painLevel: number | null;
  psfs: number | null;
}

const WIDTH = 320;
const HEIGHT = 140;
const PAD = 28;

/**
 * Pain and PSFS (both 0–10) over time as a small SVG, with the same figures as a table for screen
 * readers and anyone who prefers numbers. Takes any series, so progress reports add points.
 */
export function MeasuresChart({ points }: { points: MeasurePoint[] }) {
  const measured = points.filter((p) => p.painLevel !== null || p.psfs !== null);
  if (measured.length === 0) return null;
  const x = (i: number) => (measured.length === 1 ? WIDTH / 2 : PAD + (i * (WIDTH - 2 * PAD)) / (measured.length - 1));
  const y = (value: number) => HEIGHT - PAD + 8 - (value * (HEIGHT - PAD)) / 10;
  const line = (key: 'painLevel' | 'psfs') =>
    measured
      .map((p, i) => (p[key] === null ? null : `${x(i)},${y(p[key])}`))
      .filter(Boolean)
      .join(' ');
  return (
    <figure className="measures-chart" data-testid="measures-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="measures-chart-title">
        <title id="measures-chart-title">Pain and PSFS over time (the table below has the figures)</title>
        {[0, 5, 10].map((v) => (
          <g key={v}>
            <line x1={PAD} x2={WIDTH - PAD} y1={y(v)} y2={y(v)} className="chart-grid" />
            <text x={4} y={y(v) + 4} className="chart-axis">
              {v}
            </text>
          </g>
        ))}
        <polyline points={line('painLevel')} className="chart-line chart-pain" />
        <polyline points={line('psfs')} className="chart-line chart-psfs" />
        {measured.map((p, i) => (
          <g key={i}>
            {p.painLevel !== null && <circle cx={x(i)} cy={y(p.painLevel)} r={3.5} className="chart-pain-dot" />}
            {p.psfs !== null && <rect x={x(i) - 3.5} y={y(p.psfs) - 3.5} width={7} height={7} className="chart-psfs-dot" />}
          </g>
        ))}
      </svg>
      <figcaption className="small">
        <span className="legend-pain">● Pain (lower is better)</span>{' '}
        <span className="legend-psfs">■ PSFS (higher is better)</span>
      </figcaption>
      <table className="table small">
        <caption className="visually-hidden">Pain and PSFS over time</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Pain</th>
            <th scope="col">PSFS</th>
          </tr>
        </thead>
        <tbody>
          {measured.map((p, i) => (
            <tr key={i}>
              <th scope="row">{p.label}</th>
              <td data-label="Pain">{p.painLevel ?? '—'}</td>
              <td data-label="PSFS">{p.psfs ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
