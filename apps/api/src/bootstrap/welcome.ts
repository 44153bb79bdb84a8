import type { AppConfig } from '@referloop/config';

export interface Welcome {
  url: string;
  dataDir: string;
  clusterDir?: string;
  mailboxUrl?: string;
}

/** What someone who just ran `npm start` needs: where to go, where the data is, how to stop. */
export function welcome(config: AppConfig, clusterDir: string | undefined): Welcome {
  // Listening on every interface: this machine reaches it on loopback.
  const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  return {
    url,
    dataDir: config.dataDir,
    clusterDir: clusterDir,
    mailboxUrl: config.notifications.trialMailbox ? `${url}/trial/mailbox` : undefined,
  };
}

export function welcomeText(w: Welcome): string {
  const lines = [
    '',
    `  ReferLoop is running: open ${w.url} to create your practice`,
    '',
    `  Data:          ${w.dataDir}${w.clusterDir && !w.clusterDir.startsWith(w.dataDir) ? ` (database: ${w.clusterDir})` : ''}`,
    ...(w.mailboxUrl ? [`  Trial mailbox: ${w.mailboxUrl} (emails are not sent in trial mode)`] : []),
    `  API docs:      ${w.url}/api/docs`,
    '  Stop:          Ctrl-C (the data stays for the next start)',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
