import { humanize, winAnsi } from './pdf-text';

describe('winAnsi', () => {
  it('keeps Latin-1 names and Windows-1252 punctuation as they are', () => {
    expect(winAnsi('José Núñez, Zoë Müller — “Ærøskøbing” … €5')).toBe('José Núñez, Zoë Müller — “Ærøskøbing” … €5');
  });

  it('prints letters outside WinAnsi as their plain Latin letter when they have one', () => {
    expect(winAnsi('Łukasz Wałęsa, Ștefan Kőrösi')).toBe('Lukasz Walesa, Stefan Korösi');
  });

  it('prints scripts it cannot show as "?" rather than wrong letters', () => {
    expect(winAnsi('Ωμέγα 中文 🙂')).toBe('????? ?? ?');
  });

  it('keeps line breaks, drops carriage returns and control characters', () => {
    expect(winAnsi('one\r\ntwo\tthree\u0007')).toBe('one\ntwo three?');
  });
});

describe('humanize', () => {
  it('reads a vocabulary code', () => {
    expect(humanize('calf_swelling_redness')).toBe('Calf swelling redness');
  });
});
