import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API remembers live sessions for a few seconds (LiveSessions in libs/identity) instead of asking
 * PostgreSQL on every request. These triggers tell every API process, on channel `session_access`
 * with the user's id, when that memory goes stale: a session revoked or deleted, a user deactivated,
 * deleted, or given another role, admin right or clinic. Such changes are rare, so the NOTIFY
 * (which serialises commits) costs nothing on the hot paths; they fire whoever makes the change,
 * the application or an operator in psql.
 */
export class SessionAccessChanges1764262000000 implements MigrationInterface {
  name = 'SessionAccessChanges1764262000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_session_access() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'users' THEN
          PERFORM pg_notify('session_access', OLD.id::text);
        ELSE
          PERFORM pg_notify('session_access', OLD.user_id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER auth_sessions_access_changed AFTER UPDATE OF revoked_at, user_id ON auth_sessions
        FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.user_id IS DISTINCT FROM NEW.user_id)
        EXECUTE FUNCTION notify_session_access()`);
    await q.query(`
      CREATE TRIGGER auth_sessions_access_deleted AFTER DELETE ON auth_sessions
        FOR EACH ROW EXECUTE FUNCTION notify_session_access()`);
    await q.query(`
      CREATE TRIGGER users_access_changed AFTER UPDATE OF role, is_admin, deactivated_at, clinic_id ON users
        FOR EACH ROW WHEN ((OLD.role, OLD.is_admin, OLD.deactivated_at, OLD.clinic_id)
                           IS DISTINCT FROM (NEW.role, NEW.is_admin, NEW.deactivated_at, NEW.clinic_id))
        EXECUTE FUNCTION notify_session_access()`);
    await q.query(`
      CREATE TRIGGER users_access_deleted AFTER DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION notify_session_access()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_access_deleted ON users`);
    await q.query(`DROP TRIGGER users_access_changed ON users`);
    await q.query(`DROP TRIGGER auth_sessions_access_deleted ON auth_sessions`);
    await q.query(`DROP TRIGGER auth_sessions_access_changed ON auth_sessions`);
    await q.query(`DROP FUNCTION notify_session_access()`);
  }
}
