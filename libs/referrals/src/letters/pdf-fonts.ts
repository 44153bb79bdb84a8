import { readFileSync } from 'node:fs';
import { type Coverage, winAnsiCovers } from './pdf-text';

/**
 * The faces a document prints with. Text the PDF standard fonts can print (Windows-1252: "José
 * Núñez", "Zoë Müller") uses Helvetica, which costs nothing to embed. A document with any other
 * letter embeds Noto Sans (SIL Open Font License) as subsets of the glyphs used: Latin with every
 * accent (Vietnamese's stacked ones too), Greek and Cyrillic, where Helvetica printed "Nguyễn" or
 * "Παπαδόπουλος" with letters lost. Other scripts (CJK, Arabic, Hebrew…) still print as "?", with
 * a note (./pdf-text.ts).
 */
export interface PdfFonts {
  /** What pdfkit's `registerFont` takes (a standard font's name, or the font file's bytes). */
  regular: string | Buffer;
  bold: string | Buffer;
  /** The characters both faces draw. */
  covers: Coverage;
}

const STANDARD: PdfFonts = { regular: 'Helvetica', bold: 'Helvetica-Bold', covers: winAnsiCovers };

const FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
} as const;

let embedded: Promise<PdfFonts> | undefined;

/**
 * Noto Sans, read once per process with fontkit loaded for its coverage (the character map alone).
 * Each document hands pdfkit the file's bytes and so parses its own copy (~70 ms): a parsed font
 * shared between documents kept, per glyph, the text it was first drawn for, and later documents'
 * text layer (copy, search, screen readers) read other letters.
 */
function embeddedFonts(): Promise<PdfFonts> {
  embedded ??= import('fontkit').then(({ create }) => {
    const regular = readFileSync(require.resolve(FONT_FILES.regular));
    const bold = readFileSync(require.resolve(FONT_FILES.bold));
    const [regularMap, boldMap] = [create(regular), create(bold)];
    return {
      regular,
      bold,
      covers: (codePoint: number) => regularMap.hasGlyphForCodePoint(codePoint) && boldMap.hasGlyphForCodePoint(codePoint),
    };
  });
  return embedded;
}

/** The faces for a document whose text is `texts`: the standard ones when they print every character. */
export function pdfFontsFor(texts: string): Promise<PdfFonts> {
  for (const char of texts.normalize('NFC')) {
    if (!winAnsiCovers(char.codePointAt(0) as number)) return embeddedFonts();
  }
  return Promise.resolve(STANDARD);
}
