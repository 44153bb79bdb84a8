import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The patient is told by email (channel `patient_email`, recipient key `patient:<id>`): the address is
 * read from the patient when the email is sent, never stored on the delivery row.
 */
export class PatientEmails1764254000000 implements MigrationInterface {
  name = 'PatientEmails1764254000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_channel_check`);
    await q.query(
      `ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_channel_check
         CHECK (channel IN ('in_app', 'email', 'webhook', 'patient_email'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM notification_deliveries WHERE channel = 'patient_email'`);
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_channel_check`);
    await q.query(
      `ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_channel_check
         CHECK (channel IN ('in_app', 'email', 'webhook'))`,
    );
  }
}
