import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEBHOOK_EVENT_TYPES } from './notification-texts';

describe("the webhook receivers' guide (docs/webhooks.md)", () => {
  it('lists every event type a webhook can subscribe to, and no other', () => {
    const guide = readFileSync(join(__dirname, '../../../docs/webhooks.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Event types'));
    const listed = [...section.matchAll(/^\| `(referral\.[a-z_]+)`/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual(WEBHOOK_EVENT_TYPES.filter((type) => type !== '*').sort());
  });
});
