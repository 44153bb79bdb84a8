import { type FormEvent, useRef, useState } from 'react';
import { api, call, download } from '../../api/client';
import { errorMessage } from '../../api/problem';
import type { AdminMetrics, ReferralMetrics, ReferralStatus } from '../../api/types';
import { ErrorPanel, Loading, Notice } from '../../components/Feedback';
import {
  formatDate,
  formatDateTimeInZone,
  formatDuration,
  formatMonthDay,
  formatPainChange,
  formatPercent,
  formatPeriod,
  dateInZone,
} from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { roleLabel, statusLabel, statusTone } from '../../lib/labels';
import { useReferenceData } from '../../lib/session-hooks';
import { useClinicTimeZone } from './ClinicTime';

const WEEKS = 8;

export function DashboardPage() {
  useTitle('Clinic dashboard');
  // The default window is the clinic's last 30 days, which needs its time zone first: not the
  // browser's in its stead, whose days the API would read as the clinic's.
  const zone = useClinicTimeZone();
  if (zone?.of === 'browser') return <ErrorPanel error={zone.error} title="Could not load the dashboard" />;
  if (zone === undefined) return <Loading label="Loading the dashboard" lines={8} />;
  return <Dashboard timeZone={zone.timeZone} />;
}

function Dashboard({ timeZone }: { timeZone: string }) {
  const [range, setRange] = useState({ from: dateInZone(timeZone, -29), to: dateInZone(timeZone) });
  const [draft, setDraft] = useState(range);
  const [exportError, setExportError] = useState<unknown>(null);
  const [rangeError, setRangeError] = useState<string | null>(null);
  const fromRef = useRef<HTMLInputElement>(null);
  // The days as picked: the API reads them as days in the clinic's time zone (`to` included), which
  // the browser's zone may not be; the export's file is named after the same days.
  const days = { from: range.from, to: range.to };

  const metrics = useAsync(
    async () => ({ days, figures: await call(api.GET('/api/v1/admin/metrics', { params: { query: days } })) }),
    [range.from, range.to],
  );

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const problem =
      !draft.from || !draft.to
        ? 'Choose both dates.'
        : draft.from > draft.to
          ? 'Choose a start on or before the end date.'
          : null;
    setRangeError(problem);
    if (problem) {
      fromRef.current?.focus();
      return;
    }
    setRange(draft);
  };

  const exportCsv = async () => {
    setExportError(null);
    const query = new URLSearchParams(days).toString();
    await download(`/api/v1/admin/referrals/export.csv?${query}`, `referrals-${range.from}-to-${range.to}.csv`).catch(
      setExportError,
    );
  };

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Clinic dashboard</h1>
        <button type="button" className="button button-secondary" onClick={() => void exportCsv()}>
          Export referrals (CSV)
        </button>
      </div>
      {exportError !== null && <Notice tone="error">Export failed: {errorMessage(exportError)}</Notice>}
      <form className="filters" onSubmit={apply} noValidate aria-label="Time window">
        <div className="field">
          <label htmlFor="metrics-from">Created from</label>
          <input
            ref={fromRef}
            id="metrics-from"
            type="date"
            value={draft.from}
            max={draft.to}
            aria-invalid={rangeError ? true : undefined}
            aria-describedby={rangeError ? 'metrics-range-error' : undefined}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
          {rangeError && (
            <p className="field-error" id="metrics-range-error">
              {rangeError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="metrics-to">to</label>
          <input
            id="metrics-to"
            type="date"
            value={draft.to}
            min={draft.from}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </div>
        <button type="submit" className="button button-secondary">
          Show
        </button>
      </form>

      {metrics.error !== undefined ? (
        <>
          <ErrorPanel error={metrics.error} title="Clinic metrics are not available" onRetry={() => void metrics.reload()} />
          <FallbackStatusCounts />
        </>
      ) : !metrics.data ? (
        <Loading label="Loading metrics" lines={10} />
      ) : (
        <Metrics data={metrics.data.figures} days={metrics.data.days} timeZone={timeZone} />
      )}
      <Turnaround timeZone={timeZone} />
    </>
  );
}

function Metrics({ data, days, timeZone }: { data: AdminMetrics; days: { from: string; to: string }; timeZone: string }) {
  const c = data.clinic;
  return (
    <div className="stack">
      <section aria-labelledby="kpi-heading">
        <h2 id="kpi-heading" className="visually-hidden">
          Key figures
        </h2>
        <div className="kpis">
          <Kpi label="Referrals" value={String(c.total)} testId="kpi-total" />
          <Kpi label="Closed-loop rate" value={formatPercent(c.closedLoopRate)} hint={closedLoopHint(c)} />
          <Kpi label="Median time to accept" value={formatDuration(c.medianTimeToAcceptSeconds)} />
          <Kpi
            label="Median time to book"
            value={formatDuration(c.medianTimeToFirstAppointmentSeconds)}
            hint="Sent → first appointment booked"
          />
          <Kpi
            label="Median pain change"
            value={formatPainChange(c.medianPainChange)}
            hint="Pain at referral → at discharge (0–10)"
          />
          <Kpi
            label="Escalated"
            value={String(c.overdue)}
            hint={`Escalated: no decision after ${formatPeriod(data.overdueAfterSeconds)} (urgent: ${formatPeriod(data.urgentOverdueAfterSeconds)}).`}
            tone={c.overdue > 0 ? 'warning' : undefined}
          />
          <Kpi
            label="Leakage"
            value={`${c.leakage.count}`}
            hint={`${formatPercent(c.leakage.rate)}: ${c.leakage.declined} declined, ${c.leakage.expired} expired, ${c.leakage.cancelled} cancelled`}
            tone={c.leakage.count > 0 ? 'warning' : undefined}
          />
        </div>
      </section>

      <div className="grid-2 grid-top">
        <section className="card" aria-labelledby="funnel-heading">
          <h2 id="funnel-heading">Closed-loop funnel</h2>
          <Funnel metrics={c} />
        </section>
        <section className="card" aria-labelledby="status-heading">
          <h2 id="status-heading">Referrals by status</h2>
          <StatusBars counts={c.byStatus} />
        </section>
      </div>

      <section className="card" aria-labelledby="sides-heading">
        <h2 id="sides-heading">Sent and received</h2>
        {/* Scrolls sideways when the screen is narrower than its columns: a focusable region, for the keyboard. */}
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="sides-heading">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Side</th>
                <th scope="col">Referrals</th>
                <th scope="col">Accepted</th>
                <th scope="col">Closed loop</th>
                <th scope="col">Median to accept</th>
                <th scope="col">Escalated</th>
                <th scope="col">Leakage</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ['Sent by the clinic', data.sent],
                  ['Received by the clinic', data.received],
                ] as const
              ).map(([label, m]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td data-label="Referrals">{m.sentCount}</td>
                  <td data-label="Accepted">{m.accepted}</td>
                  <td data-label="Closed loop">
                    {m.closedLoop} ({formatPercent(m.closedLoopRate)})
                  </td>
                  <td data-label="Median to accept">{formatDuration(m.medianTimeToAcceptSeconds)}</td>
                  <td data-label="Escalated">{m.overdue}</td>
                  <td data-label="Leakage">{m.leakage.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="people-heading">
        <h2 id="people-heading">Per practitioner</h2>
        {data.practitioners.length === 0 ? (
          <p className="muted">No practitioners yet.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="people-heading">
            <table className="table" data-testid="practitioner-metrics">
              <thead>
                <tr>
                  <th scope="col">Practitioner</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Received</th>
                  <th scope="col">Accepted</th>
                  <th scope="col">Median to accept</th>
                  <th scope="col">Closed loop (received)</th>
                  <th scope="col">Escalated</th>
                  <th scope="col">Closed loop (sent)</th>
                </tr>
              </thead>
              <tbody>
                {data.practitioners.map((p) => (
                  <tr key={p.practitionerId}>
                    <th scope="row">
                      {p.fullName}
                      <span className="row-sub muted small">{roleLabel(p.role)}</span>
                    </th>
                    <td data-label="Sent">{p.sent.sentCount}</td>
                    <td data-label="Received">{p.received.total}</td>
                    <td data-label="Accepted">{p.received.accepted}</td>
                    <td data-label="Median to accept">{formatDuration(p.received.medianTimeToAcceptSeconds)}</td>
                    <td data-label="Closed loop (received)">{formatPercent(p.received.closedLoopRate)}</td>
                    <td data-label="Escalated">{p.received.overdue}</td>
                    <td data-label="Closed loop (sent)">{formatPercent(p.sent.closedLoopRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <p className="muted small">
        Referrals created {formatDate(days.from)} – {formatDate(days.to)}; figures as of{' '}
        {formatDateTimeInZone(data.asOf, timeZone)}.
      </p>
    </div>
  );
}

/**
 * What the closed-loop rate is a share of: of the referrals decided (accepted, declined, expired or
 * cancelled after sending), those whose outcome reached the sender (the funnel's "Outcome reported").
 */
function closedLoopHint({ closedLoop, decided }: ReferralMetrics): string {
  if (decided === 0) return 'No referral decided yet';
  return `${closedLoop} of ${decided} decided ${decided === 1 ? 'referral' : 'referrals'} closed the loop (outcome reported)`;
}

function Kpi({
  label,
  value,
  hint,
  tone,
  testId,
}: {
  label: string;
  value: string;
  hint?: string;
  tone?: 'warning';
  testId?: string;
}) {
  return (
    <div className={`kpi ${tone ? `kpi-${tone}` : ''}`} data-testid={testId}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
      {hint && <span className="kpi-hint">{hint}</span>}
    </div>
  );
}

function Funnel({ metrics }: { metrics: ReferralMetrics }) {
  const sent = metrics.sentCount;
  const stages = [
    { label: 'Sent', value: sent },
    { label: 'Decided', value: metrics.decided },
    { label: 'Accepted', value: metrics.accepted },
    { label: 'Outcome reported', value: metrics.closedLoop },
  ];
  const max = Math.max(1, ...stages.map((s) => s.value));
  return (
    <ol className="funnel">
      {stages.map((s) => (
        <li key={s.label} className="bar-row">
          <span className="bar-label">{s.label}</span>
          <span className="bar-track" aria-hidden="true">
            <span className="bar bar-funnel" style={{ width: `${(s.value / max) * 100}%` }} />
          </span>
          <span className="bar-value">{s.value}</span>
        </li>
      ))}
    </ol>
  );
}

function StatusBars({ counts }: { counts: Partial<Record<ReferralStatus, number>> }) {
  const reference = useReferenceData();
  const max = Math.max(1, ...Object.values(counts).map((v) => v ?? 0));
  return (
    <ul className="status-bars" data-testid="status-counts">
      {reference.referralStatuses.map((status) => {
        const value = counts[status] ?? 0;
        return (
          <li key={status} className="bar-row" data-testid={`status-count-${status}`} data-count={value}>
            <span className="bar-label">{statusLabel(status)}</span>
            <span className="bar-track" aria-hidden="true">
              <span className={`bar bar-${statusTone(status)}`} style={{ width: `${(value / max) * 100}%` }} />
            </span>
            <span className="bar-value">{value}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** Without /admin/metrics, the status breakdown still comes from the clinic box (up to 500 referrals). */
function FallbackStatusCounts() {
  const counts = useAsync(async () => {
    const tally: Partial<Record<ReferralStatus, number>> = {};
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const result = await call(api.GET('/api/v1/referrals', { params: { query: { box: 'clinic', limit: 100, cursor } } }));
      for (const r of result.items) tally[r.status] = (tally[r.status] ?? 0) + 1;
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    return tally;
  }, []);
  return (
    <section className="card" aria-labelledby="fallback-heading">
      <h2 id="fallback-heading">Clinic referrals by status</h2>
      <p className="muted small">Counted from the clinic box (all time).</p>
      {counts.error !== undefined ? (
        <ErrorPanel error={counts.error} />
      ) : counts.data ? (
        <StatusBars counts={counts.data} />
      ) : (
        <Loading lines={6} />
      )}
    </section>
  );
}

/** Median time to accept and to book, per week over the last weeks (one metrics call per week). */
function Turnaround({ timeZone }: { timeZone: string }) {
  const weeks = useAsync(async () => {
    // Seven days each, the last ending the clinic's today; as days, which the API reads in its time zone.
    const windows = Array.from({ length: WEEKS }, (_, i) => {
      const lastDay = -(WEEKS - 1 - i) * 7;
      const from = dateInZone(timeZone, lastDay - 6);
      return { from, to: dateInZone(timeZone, lastDay), label: formatMonthDay(from) };
    });
    const results = await Promise.all(
      windows.map((w) => call(api.GET('/api/v1/admin/metrics', { params: { query: { from: w.from, to: w.to } } }))),
    );
    return windows.map((w, i) => ({
      label: w.label,
      accept: results[i].clinic.medianTimeToAcceptSeconds,
      book: results[i].clinic.medianTimeToFirstAppointmentSeconds,
      count: results[i].clinic.total,
    }));
  }, []);

  return (
    <section className="card" aria-labelledby="turnaround-heading">
      <h2 id="turnaround-heading">Turnaround over time</h2>
      <p className="muted small">
        Median time from sending to acceptance and to the first booked appointment, by week the referral was created.
      </p>
      {weeks.error !== undefined ? (
        <ErrorPanel error={weeks.error} title="Turnaround is not available" />
      ) : !weeks.data ? (
        <Loading lines={6} />
      ) : (
        <TurnaroundChart weeks={weeks.data} />
      )}
    </section>
  );
}

function TurnaroundChart({ weeks }: { weeks: { label: string; accept: number | null; book: number | null; count: number }[] }) {
  const value = (s: number | null) => s ?? 0;
  const max = Math.max(1, ...weeks.flatMap((w) => [value(w.accept), value(w.book)]));
  const width = 640;
  const height = 200;
  const pad = { left: 64, bottom: 36, top: 12 };
  const slot = (width - pad.left) / weeks.length;
  const barWidth = Math.min(22, slot / 3);
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.bottom - pad.top);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="turnaround-desc" preserveAspectRatio="xMidYMid meet">
        <desc id="turnaround-desc">
          {weeks.map((w) => `Week of ${w.label}: accept ${formatDuration(w.accept)}, book ${formatDuration(w.book)}`).join('. ')}
        </desc>
        <line x1={pad.left} x2={width} y1={y(0)} y2={y(0)} className="axis" />
        <text x={pad.left - 6} y={y(max) + 4} className="tick" textAnchor="end">
          {formatDuration(max)}
        </text>
        <text x={pad.left - 6} y={y(0) + 4} className="tick" textAnchor="end">
          0
        </text>
        {weeks.map((w, i) => {
          const x = pad.left + i * slot + slot / 2;
          return (
            <g key={w.label}>
              <rect
                x={x - barWidth - 1}
                y={y(value(w.accept))}
                width={barWidth}
                height={y(0) - y(value(w.accept))}
                className="bar-accept"
              />
              <rect x={x + 1} y={y(value(w.book))} width={barWidth} height={y(0) - y(value(w.book))} className="bar-book" />
              <text x={x} y={height - pad.bottom + 16} className="tick" textAnchor="middle">
                {w.label}
              </text>
              <text x={x} y={height - pad.bottom + 30} className="tick tick-muted" textAnchor="middle">
                {w.count} ref.
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        <span>
          <span className="swatch swatch-accept" aria-hidden="true" /> Time to accept
        </span>
        <span>
          <span className="swatch swatch-book" aria-hidden="true" /> Time to book
        </span>
      </figcaption>
    </figure>
  );
}
