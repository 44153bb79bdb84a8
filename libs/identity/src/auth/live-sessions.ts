import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Clock, type Role } from '@referloop/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { PgListener } from '@referloop/database';

/** What the auth guard needs of a live session's user. */
export interface SessionAccess {
  clinic_id: string;
  role: Role;
  is_admin: boolean;
}

/**
 * How long a session found live is taken as live without asking PostgreSQL again. Only a bound for
 * changes made behind the application's back while the listener missed them: every change that ends
 * a session or alters its user's access is forgotten at once in the process that makes it, and in
 * every other process when its NOTIFY arrives (milliseconds).
 */
export const LIVE_SESSION_MEMORY_MS = 5_000;
/** Enough for every session active within the memory window; the oldest goes first beyond it. */
const MAX_REMEMBERED = 50_000;
/** The channel the `session_access_changed` triggers notify, with the user's id as payload. */
export const SESSION_ACCESS_CHANNEL = 'session_access';

interface Remembered {
  userId: string;
  sessionCreatedAt: number;
  checkedAt: number;
  access: SessionAccess;
}

/**
 * The auth guard's memory of live sessions. Checking the session on every request was one round
 * trip per request, as costly as the work of a simple read itself. Remembered answers are trusted
 * only while this process listens for `SESSION_ACCESS_CHANNEL` (revocation, deactivation, a changed
 * role or admin right: see the SessionAccessChanges migration); without the listener every request
 * asks PostgreSQL. An answer read while something was being forgotten is not kept (`ticket`).
 */
@Injectable()
export class LiveSessions implements OnApplicationShutdown {
  private readonly remembered = new Map<string, Remembered>();
  /** Bumped by every forget: an answer asked for before it may be stale. */
  private generation = 0;
  private readonly listener: PgListener;
  private started = false;
  /** Told of every forget: a user's sessions or access changed (null: anyone's may have). */
  private readonly changeListeners = new Set<(userId: string | null) => void>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.listener = new PgListener({
      databaseUrl: config.databaseUrl,
      channel: SESSION_ACCESS_CHANNEL,
      applicationName: 'referloop-session-listener',
      onNotification: (userId) => (userId ? this.forgetUser(userId) : this.forgetAll()),
      onListening: () => this.forgetAll(),
      onLost: () => this.forgetAll(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }

  /** Whether remembered answers are trusted now (the listener is up). */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** The remembered access of a live session, or undefined: ask PostgreSQL. */
  recall(sessionId: string, userId: string, startedAfter: Date): SessionAccess | undefined {
    if (!this.started) {
      // Only processes that authenticate (the API) listen.
      this.started = true;
      this.listener.start();
    }
    if (!this.listener.listening) return undefined;
    const entry = this.remembered.get(sessionId);
    if (!entry || entry.userId !== userId) return undefined;
    const now = this.clock.now().getTime();
    if (
      now < entry.checkedAt ||
      now - entry.checkedAt > LIVE_SESSION_MEMORY_MS ||
      entry.sessionCreatedAt <= startedAfter.getTime()
    ) {
      this.remembered.delete(sessionId);
      return undefined;
    }
    return entry.access;
  }

  /** Take one before asking PostgreSQL, and hand it to `remember`. */
  ticket(): number {
    return this.generation;
  }

  remember(ticket: number, sessionId: string, userId: string, sessionCreatedAt: Date, access: SessionAccess): void {
    if (ticket !== this.generation || !this.listener.listening) return;
    if (this.remembered.size >= MAX_REMEMBERED) {
      const oldest = this.remembered.keys().next();
      if (!oldest.done) this.remembered.delete(oldest.value);
    }
    this.remembered.set(sessionId, {
      userId,
      sessionCreatedAt: sessionCreatedAt.getTime(),
      checkedAt: this.clock.now().getTime(),
      access,
    });
  }

  forgetUser(userId: string): void {
    this.generation++;
    for (const [sessionId, entry] of this.remembered) {
      if (entry.userId === userId) this.remembered.delete(sessionId);
    }
    for (const listener of this.changeListeners) listener(userId);
  }

  forgetAll(): void {
    this.generation++;
    this.remembered.clear();
    for (const listener of this.changeListeners) listener(null);
  }

  /**
   * Calls `listener` whenever a user's sessions or access may have changed, in this process or
   * (by NOTIFY) another: what holds a session open beyond one request (a live stream) checks it
   * again then. Answers the unsubscribe.
   */
  onAccessChanged(listener: (userId: string | null) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }
}
