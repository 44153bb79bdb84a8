import { readFileSync } from 'node:fs';
import type { Font } from 'fontkit';

/**
 * Noto Sans (SIL Open Font License), embedded in every letter and report, as subsets of the
 * glyphs used: it prints Latin with every accent (Vietnamese's stacked ones too), Greek and
 * Cyrillic, where the PDF standard fonts print only Windows-1252 and a name like "Nguyễn" or
 * "Παπαδόπουλος" lost its letters. Other scripts (CJK, Arabic, Hebrew…) still print as "?",
 * with a note (./pdf-text.ts).
 */
const FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
} as const;

export interface PdfFonts {
  regular: Font;
  bold: Font;
  /** Whether both faces draw this character. */
  covers: (codePoint: number) => boolean;
}

let fonts: Promise<PdfFonts> | undefined;

/**
 * Loaded with pdfkit by the first document (not at start-up), parsed once per process and shared:
 * pdfkit takes a parsed font as it takes a file, and parsing the file for each document cost ~70
 * ms of CPU.
 */
export function pdfFonts(): Promise<PdfFonts> {
  fonts ??= import('fontkit').then(({ create }) => {
    const regular = create(readFileSync(require.resolve(FONT_FILES.regular)));
    const bold = create(readFileSync(require.resolve(FONT_FILES.bold)));
    return {
      regular,
      bold,
      covers: (codePoint: number) => regular.hasGlyphForCodePoint(codePoint) && bold.hasGlyphForCodePoint(codePoint),
    };
  });
  return fonts;
}
