import { emailContent, escapeHtml } from './email-body';

describe('emailContent', () => {
  it('says the same in text and HTML, with everything escaped in the HTML', () => {
    const mail = emailContent('A <b>&"subject"', "O'Brien & <Sons>", [
      'Line one\nline <two>',
      { label: 'Open <it>', link: 'https://x.test/a?b=1&c="2"' },
    ]);
    expect(mail.text).toBe('O\'Brien & <Sons>\n\nLine one\nline <two>\n\nOpen <it>:\nhttps://x.test/a?b=1&c="2"\n');
    expect(mail.html).toContain('<title>A &lt;b&gt;&amp;&quot;subject&quot;</title>');
    expect(mail.html).toContain('<strong>O&#39;Brien &amp; &lt;Sons&gt;</strong>');
    expect(mail.html).toContain('<p>Line one<br>\nline &lt;two&gt;</p>');
    expect(mail.html).toContain('<a href="https://x.test/a?b=1&amp;c=&quot;2&quot;">Open &lt;it&gt;</a>');
    expect(mail.html).not.toMatch(/<(?!\/?(p|a|br|strong|title|html|head|body|meta|!doctype)\b)/i);
    expect(escapeHtml('&<>"\'')).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
