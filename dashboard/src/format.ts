/** How figures and instants read on every view (no chart library: tests import it in Node). */

/** An instant as people read it here: minutes, in UTC, and saying so. */
export const fmtTime = (iso: string) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;
/** The time of day of an instant (UTC), e.g. the end of a window that starts the same day. */
export const fmtClock = (iso: string) => `${iso.slice(11, 16)} UTC`;
export const pct = (p: number) => `${(p * 100).toFixed(1)} %`;
