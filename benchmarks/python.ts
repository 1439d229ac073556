/**
 * The benchmarks' Python references run Debian's packages through /usr/bin/python3. A benchmark
 * installs nothing: it refuses, naming what is missing and the script that installs it.
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Exits with status 2 and a clear message unless every module imports. */
export function requirePython(modules: readonly string[]): void {
  const missing = modules.filter(
    (m) => spawnSync(PYTHON, ['-c', `import ${m}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return;
  console.error(
    `error: the Python reference needs ${missing.join(', ')} under ${PYTHON}, which it cannot import.\n` +
      `Install Debian's packages once with: bash scripts/install-python-refs.sh (root or sudo).`,
  );
  process.exit(2);
}
