import { Readable } from 'node:stream';
import { Injectable, type LoggerService } from '@nestjs/common';
import { Clock, isoInTimeZone, type Principal } from '@referloop/common';
import { AuditLog, ClinicScope } from '@referloop/identity';
import { CSV_COLUMNS, ReferralStore, type ReferralRow } from '@referloop/referrals';
import { csvRow, type CsvValue } from './csv';
import { coveredDays, type TimeWindowInput, TimeWindows } from './time-window';

/** Rows per keyset read: memory stays flat however large the export. */
export const EXPORT_BATCH_SIZE = 500;

/** A referral as the export reads it: the referral view's row (the same SELECT as the API's answers). */
type ExportRow = ReferralRow;

/**
 * The export's columns: header and cell, one entry each, so the two cannot drift apart. After the
 * fixed ones come the column registry's `csv` fields (`CSV_COLUMNS`): a field added there is
 * appended as the last column, and no existing column moves.
 */
const COLUMNS: readonly (readonly [string, (r: ExportRow) => CsvValue])[] = [
  ['id', (r) => r.id],
  ['kind', (r) => r.kind],
  ['status', (r) => r.status],
  ['priority', (r) => r.priority],
  ['created_at', (r) => r.createdAt],
  ['sent_at', (r) => r.sentAt],
  ['responded_at', (r) => r.respondedAt],
  ['closed_at', (r) => r.closedAt],
  // Where it happens, as that clinic reads it: the recipient clinic's local time with its offset.
  [
    'appointment_at',
    (r) => r.appointmentAt && r.appointmentTimeZone && isoInTimeZone(new Date(r.appointmentAt), r.appointmentTimeZone),
  ],
  ['appointment_time_zone', (r) => r.appointmentTimeZone],
  ['sender_name', (r) => r.sName],
  ['sender_clinic', (r) => r.sClinicName],
  /** Empty (with the zone) while the recipient is someone invited who has not joined. */
  ['recipient_name', (r) => r.tName],
  ['recipient_clinic', (r) => r.tClinicName],
  ['patient_last_name', (r) => r.pLastName],
  ['patient_first_name', (r) => r.pFirstName],
  ['body_regions', (r) => r.bodyRegions],
  ['red_flags', (r) => r.redFlags],
  ['outcome_summary', (r) => r.outcome?.summary ?? null],
  ...CSV_COLUMNS.map(({ header, key }) => [header, (r: ExportRow) => r[key] as CsvValue] as const),
];

export const EXPORT_COLUMNS: readonly string[] = COLUMNS.map(([header]) => header);

export interface ReferralExport {
  fileName: string;
  stream: Readable;
}

const cells = (r: ExportRow): CsvValue[] => COLUMNS.map(([, cell]) => cell(r));

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
  constructor(
    private readonly store: ReferralStore,
    private readonly audit: AuditLog,
    private readonly windows: TimeWindows,
    private readonly clock: Clock,
  ) {}

  /** `log`: the request's logger, so a line about the export carries its request id. */
  async export(principal: Principal, input: TimeWindowInput, log: LoggerService): Promise<ReferralExport> {
    const window = await this.windows.of(principal, input, this.clock.now());
    const { from, to } = window;
    // The first batch is read before the answer starts, so a failing database is still a proper
    // problem+json answer rather than a cut-off 200.
    const scope = ClinicScope.of(principal);
    const first = await this.store.exportBatch(scope, from, to, undefined, EXPORT_BATCH_SIZE);
    const record = (rows: number, completed: boolean): Promise<void> =>
      this.audit.record({
        by: principal,
        action: 'referral.export',
        resourceType: 'referral',
        details: { rows, completed, from: from.toISOString(), to: to.toISOString() },
      });

    // The days asked for, in the zone they were asked in (not the UTC dates of the bounds).
    const [firstDay, lastDay] = coveredDays(window);
    return {
      fileName: `referrals-${firstDay}-to-${lastDay}.csv`,
      stream: Readable.from(this.csv(scope, from, to, first, record, log), { objectMode: false }),
    };
  }

  /** The CSV text, batch by batch; the audit row is written before the stream ends (or when it is cut short). */
  private async *csv(
    scope: ClinicScope,
    from: Date,
    to: Date,
    first: ExportRow[],
    record: (rows: number, completed: boolean) => Promise<void>,
    log: LoggerService,
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
        batch = await this.store.exportBatch(scope, from, to, { ts: last.createdCursorTs, id: last.id }, EXPORT_BATCH_SIZE);
      }
      // Before the stream ends, so whoever has the whole file also finds the audit row.
      audited = true;
      await record(rows, true);
    } finally {
      if (!audited) {
        await record(rows, false).catch((error: unknown) => {
          log.error('referral.export audit failed', error, 'ReferralExportService');
        });
      }
    }
  }
}
