import { attachmentFileName, contentDisposition } from './attachments.service';

describe('attachmentFileName', () => {
  it.each([
    ['scan.html', 'application/pdf', 'scan.pdf'],
    ['scan.PDF', 'application/pdf', 'scan.PDF'],
    ['photo', 'image/jpeg', 'photo.jpg'],
    ['photo.jpeg', 'image/jpeg', 'photo.jpeg'],
    ['photo.jpg.exe', 'image/jpeg', 'photo.jpg.jpg'],
    ['report\u202Egnp.exe', 'image/png', 'reportgnp.png'],
    ['a\u0000b\u001fc\u007fd\u0085e\u200Ef\u2067g\u200Dh.pdf', 'application/pdf', 'abcdefgh.pdf'],
    ['../../etc/"passwd".pdf', 'application/pdf', '.._.._etc__passwd_.pdf'],
    ['', 'image/png', 'attachment.png'],
    [undefined, 'application/pdf', 'attachment.pdf'],
    ['  .pdf', 'application/pdf', 'attachment.pdf'],
  ] as const)('%j as %s is %j', (name, type, expected) => {
    expect(attachmentFileName(name, type)).toBe(expected);
  });

  it('keeps a long name short, extension included', () => {
    const name = attachmentFileName(`${'x'.repeat(500)}.html`, 'application/pdf');
    expect(name).toBe(`${'x'.repeat(190)}.pdf`);
  });

  it('never cuts a long name inside a character made of two UTF-16 units', () => {
    // 'a' and 94 emoji fill 189 units: the 95th emoji's first half was kept alone, stored as U+FFFD.
    const name = attachmentFileName(`a${'\u{1F389}'.repeat(100)}.png`, 'image/png');
    expect(name).toBe(`a${'\u{1F389}'.repeat(94)}.png`);
    expect(name).not.toMatch(/\p{Cs}/u);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback without quotes and the exact name in filename*', () => {
    expect(contentDisposition('Bericht "1" (Kopie)*.pdf')).toBe(
      `attachment; filename="Bericht _1_ (Kopie)*.pdf"; filename*=UTF-8''Bericht%20%221%22%20%28Kopie%29%2A.pdf`,
    );
    expect(contentDisposition('Ärztlicher Bericht.pdf')).toBe(
      `attachment; filename="_rztlicher Bericht.pdf"; filename*=UTF-8''%C3%84rztlicher%20Bericht.pdf`,
    );
  });
});
