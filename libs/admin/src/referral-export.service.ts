import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, isoInTimeZone, type Principal, RequestContext } from '@referloop/common';
import { AuditLog } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { csvRow, type CsvValue } from './csv';
import { resolveWindow, type TimeWindowInput } from './time-window';

/** Rows per keyset read: memory stays flat however large the export. */
export const EXPORT_BATCH_SIZE = 500;

export const EXPORT_COLUMNS = [
  'id',
  'kind',
  'status',
  'priority',
  'created_at',
  'sent_at',
  'responded_at',
  'closed_at',
  'appointment_at',
  'appointment_time_zone',
  'sender_name',
  'sender_clinic',
  'recipient_name',
  'recipient_clinic',
  'patient_last_name',
  'patient_first_name',
  'body_regions',
  'red_flags',
  'outcome_summary',
] as const;

interface ExportRow {
  id: string;
  kind: string;
  status: string;
  priority: string;
  created_at: Date;
  cursor_ts: string;
  sent_at: Date | null;
  responded_at: Date | null;
  closed_at: Date | null;
  appointment_at: Date | null;
  t_clinic_timezone: string | null;
  s_name: string;
  s_clinic_name: string;
  /** Null (with the zone) while the recipient is someone invited who has not joined. */
  t_name: string | null;
  t_clinic_name: string | null;
  p_last_name: string;
  p_first_name: string;
  body_regions: string[];
  red_flags: string[];
  outcome_summary: string | null;
}

export interface ReferralExport {
  fileName: string;
  stream: Readable;
}

const cells = (r: ExportRow): CsvValue[] => [
  r.id,
  r.kind,
  r.status,
  r.priority,
  r.created_at,
  r.sent_at,
  r.responded_at,
  r.closed_at,
  // Where it happens, as that clinic reads it: the recipient clinic's local time with its offset.
  r.appointment_at && r.t_clinic_timezone && isoInTimeZone(r.appointment_at, r.t_clinic_timezone),
  r.t_clinic_timezone,
  r.s_name,
  r.s_clinic_name,
  r.t_name,
  r.t_clinic_name,
  r.p_last_name,
  r.p_first_name,
  r.body_regions,
  r.red_flags,
  r.outcome_summary,
];

/**
 * CSV export of the referrals that involve the clinic (as sender, or as recipient of a sent one),
 * created in [from, to), oldest first. Streamed: keyset reads of {@link EXPORT_BATCH_SIZE} rows over
 * the (clinic, created_at, id) indexes, each turned into CSV and handed to the response as it comes,
 * with backpressure (the next batch is read only when the client has taken the previous one).
 *
 * The export carries patient names (PHI): it writes one `referral.export` audit event with the
 * number of rows sent, once the last row is out (or when the client goes away mid-way, with
 * `completed: false`).
 */
@Injectable()
export class ReferralExportService {
  private readonly logger = new Logger(ReferralExportService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async export(principal: Principal, input: TimeWindowInput): Promise<ReferralExport> {
    const { from, to } = resolveWindow(input, this.clock.now());
    // The first batch is read before the answer starts, so a failing database is still a proper
    // problem+json answer rather than a cut-off 200.
    const first = await this.batch(principal.clinicId, from, to, undefined);
    // The stream is consumed outside this request's async context: keep the context for the audit row.
    const context = RequestContext.current();
    const record = (rows: number, completed: boolean): Promise<void> => {
      const write = () =>
        this.audit.record({
          action: 'referral.export',
          resourceType: 'referral',
          details: { rows, completed, from: from.toISOString(), to: to.toISOString() },
        });
      return context ? RequestContext.run(context, write) : write();
    };

    const day = (d: Date) => d.toISOString().slice(0, 10);
    return {
      fileName: `referrals-${day(from)}-to-${day(to)}.csv`,
      stream: Readable.from(this.csv(principal.clinicId, from, to, first, record), { objectMode: false }),
    };
  }

  /** The CSV text, batch by batch; the audit row is written before the stream ends (or when it is cut short). */
  private async *csv(
    clinicId: string,
    from: Date,
    to: Date,
    first: ExportRow[],
    record: (rows: number, completed: boolean) => Promise<void>,
  ): AsyncGenerator<string> {
    let rows = 0;
    let audited = false;
    try {
      yield csvRow(EXPORT_COLUMNS);
      let batch = first;
      for (;;) {
        if (batch.length > 0) {
          // Counted when handed over: a client that goes away mid-way is audited for what may have reached it.
          rows += batch.length;
          yield batch.map((r) => csvRow(cells(r))).join('');
        }
        if (batch.length < EXPORT_BATCH_SIZE) break;
        const last = batch[batch.length - 1];
        batch = await this.batch(clinicId, from, to, { ts: last.cursor_ts, id: last.id });
      }
      // Before the stream ends, so whoever has the whole file also finds the audit row.
      audited = true;
      await record(rows, true);
    } finally {
      if (!audited) {
        await record(rows, false).catch((error: unknown) => this.logger.error('referral.export audit failed', error));
      }
    }
  }

  /** The next rows after `after` (by created_at, id), from both sides of the clinic. */
  private batch(clinicId: string, from: Date, to: Date, after: { ts: string; id: string } | undefined): Promise<ExportRow[]> {
    const params: unknown[] = [clinicId, from, to, EXPORT_BATCH_SIZE];
    let keyset = '';
    if (after) {
      params.push(after.ts, after.id);
      keyset = ' AND (created_at, id) > ($5::timestamptz, $6::uuid)';
    }
    const range = `created_at >= $2 AND created_at < $3${keyset}`;
    return this.db.query(
      `SELECT r.id, r.kind, r.status, r.priority, r.created_at,
              to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts,
              r.sent_at, r.responded_at, r.closed_at, r.appointment_at, tc.timezone AS t_clinic_timezone,
              s.full_name AS s_name, sc.name AS s_clinic_name, t.full_name AS t_name, tc.name AS t_clinic_name,
              p.last_name AS p_last_name, p.first_name AS p_first_name, r.body_regions, r.red_flags,
              r.outcome->>'summary' AS outcome_summary
         FROM (
           (SELECT id, created_at FROM referrals
             WHERE sender_clinic_id = $1 AND ${range} ORDER BY created_at, id LIMIT $4)
           UNION ALL
           (SELECT id, created_at FROM referrals
             WHERE recipient_clinic_id = $1 AND sent_at IS NOT NULL AND sender_clinic_id <> $1 AND ${range}
             ORDER BY created_at, id LIMIT $4)
           ORDER BY created_at, id LIMIT $4
         ) page
         JOIN referrals r ON r.id = page.id
         JOIN patients p ON p.id = r.patient_id
         JOIN users s ON s.id = r.sender_id
         JOIN clinics sc ON sc.id = r.sender_clinic_id
         LEFT JOIN users t ON t.id = r.recipient_id
         LEFT JOIN clinics tc ON tc.id = r.recipient_clinic_id
        ORDER BY r.created_at, r.id`,
      params,
    );
  }
}
