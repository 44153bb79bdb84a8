import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The committed OpenAPI document, built from the compiled app (response types come from the swagger
 * CLI plugin, which the build runs and the tests do not); api:client:check keeps it equal to the one
 * the app serves.
 */
export const committedDocument = () =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'apps/web/src/api/openapi.json'), 'utf8'));

/**
 * The path template of the operation a concrete path answers to (`/api/v1/referrals/{id}`), or
 * undefined: a literal segment (`/messages`) wins over a parameter (`/{action}`), as in the router.
 */
export function operationTemplate(
  paths: Record<string, Record<string, unknown>>,
  method: string,
  path: string,
): string | undefined {
  const pathname = path.split('?')[0];
  return Object.keys(paths)
    .filter((template) => paths[template][method])
    .filter((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname))
    .sort((a, b) => (a.match(/\{/g) ?? []).length - (b.match(/\{/g) ?? []).length)[0];
}
