/**
 * A start that cannot go on for a reason the person starting it can fix (the data folder or the
 * port is taken): printed as its message alone, without a stack.
 */
export class StartRefused extends Error {}
