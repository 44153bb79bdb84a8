import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TrialMail {
  /** The delivery id: one mail per delivery however often it is sent. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  createdAt: string;
}

const ID = /^[A-Za-z0-9-]{1,100}$/;

/**
 * The embedded trial's stand-in for a mail server: every email is a JSON file in
 * `<DATA_DIR>/trial-mailbox/<delivery id>.json`. A folder, not a table: it belongs to the trial's
 * data folder (deleting DATA_DIR resets it), a server deployment's database never holds it, and the
 * file name deduplicates by delivery id like a receiving mail system dropping a repeated Message-ID.
 * The mails hold whatever the app sends (patient emails too): the folder is private (0700) and the
 * app shows it only to the machine itself.
 */
export class TrialMailbox {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'trial-mailbox');
  }

  /** Stores the mail unless one with its id is there already; true when this call stored it. */
  deliver(mail: Omit<TrialMail, 'createdAt'>): boolean {
    if (!ID.test(mail.id)) throw new Error('a trial mail id must be a plain identifier');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Written whole under a temporary name, then linked to its final name: a reader never sees half a
    // mail, and the link fails if the id is taken (two sends of one delivery at once store one mail).
    const partial = join(this.dir, `.${randomUUID()}.partial`);
    writeFileSync(partial, JSON.stringify({ ...mail, createdAt: new Date().toISOString() }), { mode: 0o600 });
    try {
      linkSync(partial, join(this.dir, `${mail.id}.json`));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(partial);
    }
  }

  /** Newest first. */
  list(): TrialMail[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as TrialMail)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }
}
