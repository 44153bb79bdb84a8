import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, isClinicAdmin, type Principal } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { LiveSessions } from '@referloop/identity';
import { type LiveEventRow, LiveStore } from './live.store';

/** How often the journal is read while at least one stream is open (the events' added latency is up to this). */
export const LIVE_POLL_MS = 50;
/** How often it is read with no stream open: only to keep this process's cursor current. */
const IDLE_POLL_MS = 1_000;
/** A comment line on every stream this often, and the sessions re-checked (expired: the stream ends). */
export const LIVE_HEARTBEAT_MS = 15_000;
/** How long rows stay in `live_events`: a stream that reconnects within this misses nothing. */
export const LIVE_RETENTION_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 60_000;
/** Rows per read; a full batch is followed by another read at once. */
const BATCH = 1_000;
/**
 * A gap in the ids is a row still being written (wait for it) or rolled back (skip it). The
 * snapshot check below tells which; this bounds the wait if a very long transaction holds it up.
 */
const GAP_TIMEOUT_MS = 10_000;
/** A client that stops reading is dropped once this much is queued for it (it reconnects and resumes). */
const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * Resuming streams read what they missed at most this many at a time: a crowd reconnecting at once
 * (every tab after a deploy) waits its turn here instead of taking the pool's connections from
 * everyone else's requests.
 */
export const MAX_CONCURRENT_CATCH_UPS = 2;
/**
 * Streams one user may hold on one process (a tab each). Past it the oldest is ended, so that
 * streams left half-open by a sleeping laptop or a script cannot pile up without bound; a tab
 * really in use reconnects.
 */
export const MAX_STREAMS_PER_USER = 32;

/** Where a stream's frames go: the HTTP response, seen as a sink. */
export interface LiveSink {
  write(chunk: string): void;
  /** Bytes accepted but not yet handed to the network. */
  queuedBytes(): number;
  end(): void;
}

/** One open `GET /events` response. */
interface LiveStream {
  principal: Principal;
  sink: LiveSink;
  /** Rows with ids up to this were already sent (or are before the stream began). */
  after: number;
  /** Frames held while the stream catches up on what it missed (null once live). */
  pending: string[] | null;
}

/** The SSE frame of a row: its durable id, its type and ids only. */
export function liveFrame(row: LiveEventRow): string {
  const data =
    row.type === 'referral.updated'
      ? { id: row.referralId, version: row.version, status: row.status }
      : row.type === 'notification.created'
        ? { id: row.notificationId }
        : { referralId: row.referralId };
  return `id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Whether a user may hear of a row: one of its users, or an admin of one of its clinics. */
export function mayHear(principal: Principal, row: LiveEventRow): boolean {
  return row.userIds.includes(principal.userId) || (isClinicAdmin(principal) && row.clinicIds.includes(principal.clinicId));
}

/**
 * The live updates of one API process. Changes are committed in PostgreSQL with a `live_events`
 * row each (triggers); one loop per process reads the journal after its cursor (every 50 ms while a
 * stream is open) and hands each row to the open streams that may hear of it, so every replica
 * serves the same ordered events whichever replica made the change.
 *
 * Ids are drawn before commit, so a row can become visible after a higher one. The loop never
 * passes a missing id until it is sure it will not appear: it notes the snapshot's xmax when it
 * first sees the gap (the missing row's transaction had its xid before that), and once every
 * transaction older than that has ended (the snapshot's xmin has passed it) a still-missing row was
 * rolled back. So events go out in id order, none skipped, none twice, and a stream that resumes
 * from `Last-Event-ID` gets exactly the rows between that id and the cursor.
 */
@Injectable()
export class LiveHub implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LiveHub.name);
  private readonly streams = new Set<LiveStream>();
  private readonly byUser = new Map<string, Set<LiveStream>>();
  private readonly adminsByClinic = new Map<string, Set<LiveStream>>();
  /** The highest id handed out by this process (null until read at start). */
  private cursor: number | null = null;
  private gap: { below: number; xmax: bigint; seenAt: number } | null = null;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private stopListening: (() => void) | undefined;
  private catchUpsRunning = 0;
  private readonly catchUpQueue: (() => void)[] = [];

  constructor(
    private readonly store: LiveStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: LiveSessions,
  ) {}

  onApplicationBootstrap(): void {
    // A revoked session, a deactivated user or changed rights take effect on open streams at once,
    // in every replica (the NOTIFY behind LiveSessions), not at the next heartbeat.
    this.stopListening = this.sessions.onAccessChanged((userId) => {
      const affected = userId === null ? [...this.streams] : [...(this.byUser.get(userId) ?? [])];
      void this.recheck(affected);
    });
    this.schedulePoll(0);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), LIVE_HEARTBEAT_MS).unref();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.stopListening?.();
    clearTimeout(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.pruneTimer);
    // Open responses would hold the HTTP server's close: end them (clients reconnect elsewhere and resume).
    for (const stream of [...this.streams]) this.close(stream);
  }

  /** How many streams this process serves. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream for `principal`. With `lastEventId`, first sends the rows after it that this
   * process already passed (those it has not reached yet follow live), holding live frames meanwhile.
   */
  async open(principal: Principal, sink: LiveSink, lastEventId: number | undefined): Promise<() => void> {
    while (this.cursor === null) await this.poll();
    let resumeAfter = lastEventId;
    // Ahead of this process is fine (another replica may have passed it), ahead of the journal is not:
    // no event has that id (a restored database, a made-up header), and waiting for it would hold back
    // every event up to it. Such a stream starts from now.
    if (resumeAfter !== undefined && resumeAfter > this.cursor && resumeAfter > (await this.store.newestId())) {
      resumeAfter = undefined;
    }
    // No await from here until the stream is registered: rows the loop hands out meanwhile must reach it.
    const upTo = this.cursor;
    const stream: LiveStream = { principal, sink, after: resumeAfter ?? upTo, pending: [] };
    this.add(stream);
    if (this.streams.size === 1) this.schedulePoll(0);
    try {
      if (resumeAfter !== undefined && resumeAfter < upTo) {
        const missed = await this.catchUp(() => this.store.between(principal, resumeAfter, upTo));
        // The read already keeps to what the principal may hear; the check stays the one statement of that rule.
        for (const row of missed) if (mayHear(principal, row)) sink.write(liveFrame(row));
      }
      for (const frame of stream.pending ?? []) sink.write(frame);
      stream.pending = null;
      if (stream.after < upTo) stream.after = upTo;
    } catch (error) {
      this.close(stream);
      throw error;
    }
    return () => this.remove(stream);
  }

  /** Runs a resuming stream's read of what it missed once fewer than MAX_CONCURRENT_CATCH_UPS others run. */
  private async catchUp<T>(read: () => Promise<T>): Promise<T> {
    if (this.catchUpsRunning >= MAX_CONCURRENT_CATCH_UPS) {
      await new Promise<void>((resolve) => this.catchUpQueue.push(resolve));
    } else {
      this.catchUpsRunning++;
    }
    try {
      return await read();
    } finally {
      // The slot passes straight to the next in line, or is given back.
      const next = this.catchUpQueue.shift();
      if (next) next();
      else this.catchUpsRunning--;
    }
  }

  /** Reads the journal once and hands out what it may (exposed for tests). */
  poll(): Promise<void> {
    this.polling ??= this.readOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  /**
   * A comment on every stream (keeps proxies from closing idle connections), then the sessions
   * re-checked (one may have reached its maximum age).
   */
  async heartbeat(): Promise<void> {
    for (const stream of [...this.streams]) this.send(stream, ': heartbeat\n\n');
    await this.recheck([...this.streams]);
  }

  /**
   * Checks the sessions of `streams`: one whose session was revoked or expired, or whose user was
   * deactivated, ends; the others pick up changed rights (admin granted or removed).
   */
  private async recheck(streams: LiveStream[]): Promise<void> {
    const sessionIds = [...new Set(streams.map((s) => s.principal.sessionId))];
    if (sessionIds.length === 0) return;
    try {
      const alive = new Map(
        (await this.store.liveSessions(sessionIds, new Date(this.clock.now().getTime() - this.config.sessionMaxAgeMs))).map(
          (row) => [row.sessionId, row],
        ),
      );
      for (const stream of streams) {
        // Ended meanwhile (closed by the client, or by a check that ran first).
        if (!this.streams.has(stream)) continue;
        const session = alive.get(stream.principal.sessionId);
        if (!session) {
          this.close(stream);
          continue;
        }
        const { clinicId, role, isAdmin } = session;
        const p = stream.principal;
        if (p.clinicId !== clinicId || p.role !== role || p.isAdmin !== isAdmin) {
          this.remove(stream);
          stream.principal = { ...p, clinicId, role, isAdmin };
          this.add(stream);
        }
      }
    } catch (error) {
      this.logger.warn(`live: session check failed: ${(error as Error).message}`);
    }
  }

  private async readOnce(): Promise<void> {
    if (this.cursor === null) {
      this.cursor = await this.store.newestId();
      return;
    }
    for (;;) {
      const { rows, xmin, xmax } = await this.store.after(this.cursor, BATCH);
      let expected: number = this.cursor + 1;
      let blocked = false;
      for (const row of rows) {
        if (row.id !== expected && !this.gapResolved(row.id, xmin, xmax)) {
          blocked = true;
          break;
        }
        this.gap = null;
        this.deliver(row);
        this.cursor = row.id;
        expected = row.id + 1;
      }
      if (!blocked) this.gap = null;
      if (blocked || rows.length < BATCH) return;
    }
  }

  /** Whether the ids missing before `id` will never appear (see the class comment); notes the gap the first time. */
  private gapResolved(id: number, xmin: bigint, xmax: bigint): boolean {
    const gap = this.gap;
    if (!gap || id > gap.below) {
      this.gap = { below: id, xmax, seenAt: performance.now() };
      return false;
    }
    if (xmin >= gap.xmax) return true;
    if (performance.now() - gap.seenAt > GAP_TIMEOUT_MS) {
      this.logger.warn(`live: passing ids ${this.cursor}..${id} after ${GAP_TIMEOUT_MS} ms (a long transaction holds them)`);
      return true;
    }
    return false;
  }

  private deliver(row: LiveEventRow): void {
    const targets = new Set<LiveStream>();
    for (const userId of row.userIds) for (const s of this.byUser.get(userId) ?? []) targets.add(s);
    for (const clinicId of row.clinicIds) for (const s of this.adminsByClinic.get(clinicId) ?? []) targets.add(s);
    if (targets.size === 0) return;
    const frame = liveFrame(row);
    for (const stream of targets) {
      if (row.id <= stream.after) continue;
      stream.after = row.id;
      if (stream.pending) stream.pending.push(frame);
      else this.send(stream, frame);
    }
  }

  private send(stream: LiveStream, chunk: string): void {
    if (stream.sink.queuedBytes() > MAX_QUEUED_BYTES) {
      this.close(stream);
      return;
    }
    stream.sink.write(chunk);
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.poll()
        .catch((error: Error) => this.logger.warn(`live: reading live_events failed: ${error.message}`))
        .finally(() => this.schedulePoll(this.streams.size > 0 ? LIVE_POLL_MS : IDLE_POLL_MS));
    }, delayMs).unref();
  }

  private async prune(): Promise<void> {
    try {
      await this.store.prune(new Date(this.clock.now().getTime() - LIVE_RETENTION_MS));
    } catch (error) {
      this.logger.warn(`live: pruning live_events failed: ${(error as Error).message}`);
    }
  }

  private add(stream: LiveStream): void {
    this.streams.add(stream);
    const own = addTo(this.byUser, stream.principal.userId, stream);
    if (isClinicAdmin(stream.principal)) addTo(this.adminsByClinic, stream.principal.clinicId, stream);
    // A set iterates in insertion order: the first is the oldest.
    if (own.size > MAX_STREAMS_PER_USER) this.close(own.values().next().value as LiveStream);
  }

  private remove(stream: LiveStream): void {
    this.streams.delete(stream);
    removeFrom(this.byUser, stream.principal.userId, stream);
    removeFrom(this.adminsByClinic, stream.principal.clinicId, stream);
  }

  private close(stream: LiveStream): void {
    this.remove(stream);
    stream.sink.end();
  }
}

function addTo(index: Map<string, Set<LiveStream>>, key: string, stream: LiveStream): Set<LiveStream> {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(stream);
  return set;
}

function removeFrom(index: Map<string, Set<LiveStream>>, key: string, stream: LiveStream): void {
  const set = index.get(key);
  if (set?.delete(stream) && set.size === 0) index.delete(key);
}
