/**
 * Stopping on Ctrl-C or SIGTERM within seconds, whatever a long step is doing: the first signal
 * runs the orderly stop (close the API, let a running job end, flush ingestion, stop the QuestDB
 * started here); if that has not finished within `deadlineMs` (a flush retrying against a QuestDB
 * that went away, say), or a second signal arrives, `force` stops what was started and the process
 * exits non-zero at once. A first start once ignored both signals for over 70 s.
 */
export interface StopOptions {
  /** The orderly stop; resolves with the exit code (default 0) when everything is closed. */
  readonly stop: (signal: string) => Promise<number | void>;
  /** Last resort: kill what this process started (the managed QuestDB), synchronously. */
  readonly force: () => void;
  readonly deadlineMs?: number;
  readonly log?: (line: string) => void;
  readonly exit?: (code: number) => void;
  readonly signals?: readonly NodeJS.Signals[];
  readonly on?: (signal: NodeJS.Signals, handler: () => void) => void;
}

/** Installs the handlers; returns the function they call (for an error path that must stop too). */
export function handleStopSignals(o: StopOptions): (signal: string) => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const log = o.log ?? ((line: string) => console.error(line));
  const deadline = o.deadlineMs ?? 10_000;
  let stopping = false;
  const forceExit = (why: string) => {
    log(`${why}: stopping at once`);
    try {
      o.force();
    } finally {
      exit(1);
    }
  };
  const onSignal = (signal: string) => {
    if (stopping) return forceExit(`${signal} again`);
    stopping = true;
    const timer = setTimeout(() => forceExit(`not stopped within ${deadline / 1000} s`), deadline);
    timer.unref?.();
    o.stop(signal).then(
      (code) => {
        clearTimeout(timer);
        exit(code ?? 0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        log(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        forceExit('stop failed');
      },
    );
  };
  const on = o.on ?? ((s: NodeJS.Signals, h: () => void) => void process.on(s, h));
  for (const s of o.signals ?? (['SIGINT', 'SIGTERM'] as const)) on(s, () => onSignal(s));
  return onSignal;
}
