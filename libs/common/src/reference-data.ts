/** Curated vocabularies, defined once and served to clients. */
export const SPECIALTIES = [
  'sports_injury',
  'back_neck',
  'sciatica',
  'post_surgical',
  'deep_tissue',
  'myofascial_release',
  'prenatal',
  'orthopedic',
  'neurological',
  'geriatric',
  'pediatric',
  'vestibular',
  'tmj',
  'lymphatic_drainage',
  'trigger_point',
  'oncology',
] as const;
export type Specialty = (typeof SPECIALTIES)[number];

/** BCP 47 primary language tag with an optional region, e.g. `en`, `fr`, `pt-BR`. */
export const LANGUAGE_TAG_PATTERN = /^[a-z]{2,3}(-[A-Z]{2})?$/;

export const TIMEZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
