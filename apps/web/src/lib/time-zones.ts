/** The browser's own time zone (what a new clinic starts with). */
export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/Chicago';

/** The time zones to choose from, with `first` (the browser's, or the clinic's) in the list even where Intl leaves it out (UTC). */
export function timeZoneChoices(first: string = browserZone()): string[] {
  const all = Intl.supportedValuesOf('timeZone');
  return all.includes(first) ? all : [first, ...all];
}

/** A zone as people read it: America/New_York → America/New York. */
export const zoneLabel = (zone: string): string => zone.replace(/_/g, ' ');
