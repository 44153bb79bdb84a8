import { api, call } from '../api/client';

/** What the API takes (it recognises the type by content): PDF, PNG or JPEG. */
export const ATTACHMENT_ACCEPT = '.pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg';
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** The chosen file, or why it cannot be sent (checked before trying). */
export function chosenAttachment(file: File | undefined): { file: File } | { problem: string } {
  if (!file) return { problem: 'Choose a file first.' };
  if (file.size > MAX_ATTACHMENT_BYTES) return { problem: 'Files up to 10 MB only.' };
  return { file };
}

/**
 * Adds `file` to referral `referralId` (multipart, field `file`), and says in words what happened:
 * the same content attached already is not added again (the API answers 200 with that one).
 */
export async function uploadAttachment(referralId: string, file: File, attachedTo: string): Promise<string> {
  const answer = await api.POST('/api/v1/referrals/{id}/attachments', {
    params: { path: { id: referralId } },
    body: { file: '' },
    bodySerializer: () => {
      const form = new FormData();
      form.append('file', file, file.name);
      return form;
    },
  });
  const attachment = await call(Promise.resolve(answer));
  if (answer.response.status !== 200) return `${file.name} attached${attachedTo}.`;
  return attachment.fileName === file.name
    ? `${file.name} is attached already${attachedTo}: nothing was added.`
    : `${file.name} is the same file as ${attachment.fileName}, attached already${attachedTo}: nothing was added.`;
}

/** Takes attachment `attachmentId` off the draft `referralId` (the API refuses once it is sent). */
export async function removeAttachment(referralId: string, attachmentId: string): Promise<void> {
  await call(
    api.DELETE('/api/v1/referrals/{id}/attachments/{attachmentId}', { params: { path: { id: referralId, attachmentId } } }),
  );
}
