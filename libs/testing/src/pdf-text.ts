import { dirname, join } from 'node:path';
import { PDFParse } from 'pdf-parse';

// pdf.js runs its worker in this thread when it finds it here; otherwise it loads it with a dynamic
// import(), which Jest's CommonJS runtime refuses. Jest compiles the ES module to CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = require(join(dirname(require.resolve('pdf-parse')), 'pdf.worker.mjs'));

/** The text of a PDF as a reader (or a fax machine's OCR) gets it, and its page count. */
export async function pdfText(content: Buffer): Promise<{ text: string; pages: number }> {
  const parser = new PDFParse({ data: new Uint8Array(content) });
  try {
    const result = await parser.getText();
    return { text: result.text, pages: result.total };
  } finally {
    await parser.destroy();
  }
}
