/**
 * Lowers the calling worker thread below the API's thread. Linux keeps the nice value per thread
 * (and threads started from it inherit it), so the API's thread and QuestDB keep first call on the
 * CPU, which on two cores is what holds the scores' tail down. Elsewhere it would lower the whole
 * process, so it is left alone; where it is not allowed, the thread runs at the process's priority.
 */
import { setPriority } from 'node:os';

export function lowerThreadPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, nice);
  } catch {
    // not allowed here
  }
}
