import { loadConfig } from '@referloop/config';
import { welcome, welcomeText } from './welcome';

const base = { JWT_SECRET: 'a-very-long-signing-secret-of-at-least-32-chars', DATA_DIR: '/srv/referloop-data' };

describe('welcome block', () => {
  it('says where to go, where the data is, the trial mailbox and how to stop', () => {
    const text = welcomeText(welcome(loadConfig({ ...base, PORT: '3100' }), '/var/lib/referloop/clusters/abc/data'));
    expect(text).toContain('ReferLoop is running: open http://127.0.0.1:3100 to create your practice');
    expect(text).toContain('/srv/referloop-data (database: /var/lib/referloop/clusters/abc/data)');
    expect(text).toContain('Trial mailbox: http://127.0.0.1:3100/trial/mailbox');
    expect(text).toContain('Ctrl-C');
  });

  it('names a database kept inside the data folder only once, and no mailbox with SMTP_URL', () => {
    const config = loadConfig({ ...base, SMTP_URL: 'smtp://mail.internal:25', HOST: '0.0.0.0' });
    const text = welcomeText(welcome(config, '/srv/referloop-data/postgres'));
    expect(text).toContain('open http://127.0.0.1:3000');
    expect(text).not.toContain('(database:');
    expect(text).not.toContain('Trial mailbox');
  });
});
