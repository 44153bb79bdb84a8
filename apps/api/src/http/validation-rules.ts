import { getMetadataStorage } from 'class-validator';
import { version as installedClassValidatorVersion } from 'class-validator/package.json';

/** The class-validator version whose rule lookups were read and found to depend on their arguments and the registered rules alone. */
export const REMEMBERED_RULES_VERSION = '0.15.1';

type Storage = ReturnType<typeof getMetadataStorage>;
type Rules = ReturnType<Storage['getTargetValidationMetadatas']>;
type GroupedRules = ReturnType<Storage['groupByPropertyName']>;

const remembering = new WeakSet<Storage>();
/** The options every lookup of the API's pipe passes (no schema, `always` and `strictGroups` off). */
const DEFAULT_OPTIONS = 'default';

/**
 * class-validator looks up the rules of every object it validates afresh: it walks every class it
 * holds rules for (to find inherited ones), filters them and groups them by property, for each
 * object of each request, about 4 % of the API's CPU per create. The rules change only when a
 * class with rules is defined, so the lookups are kept per class and options until a rule is
 * registered; lookups by validation groups (which the API does not use) are not kept.
 * class-validator and Nest only read the lists they are given. Installed on the version it was checked
 * against only (validation-rules.spec.ts fails on another); answers whether it is installed.
 */
export function rememberRuleLookups(installedVersion: string = installedClassValidatorVersion): boolean {
  if (installedVersion !== REMEMBERED_RULES_VERSION) return false;
  const storage = getMetadataStorage();
  if (remembering.has(storage)) return true;
  remembering.add(storage);
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const register = storage.addValidationMetadata.bind(storage);
  let rules = new Map<unknown, Map<string, Rules>>();
  let grouped = new WeakMap<Rules, GroupedRules>();

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (groups && groups.length > 0) return lookUp(target, schema, always, strictGroups, groups);
    let byOptions = rules.get(target);
    if (!byOptions) rules.set(target, (byOptions = new Map<string, Rules>()));
    const options = schema === undefined && !always && !strictGroups ? DEFAULT_OPTIONS : `${schema}|${always}|${strictGroups}`;
    let found = byOptions.get(options);
    if (!found) byOptions.set(options, (found = lookUp(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
  storage.addValidationMetadata = (metadata) => {
    rules = new Map();
    grouped = new WeakMap();
    register(metadata);
  };
  return true;
}
