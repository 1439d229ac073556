/**
 * The test run's own housekeeping: every temporary directory the test files and the processes they
 * start make lands under the run's scratch directory (tests/global-setup.ts), which the run removes
 * when it ends; before it, a run left ~30 directories behind in the system's temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the test run', () => {
  it("keeps temporary directories, its processes' too, under its scratch directory", () => {
    const scratch = os.tmpdir();
    expect(path.basename(scratch)).toMatch(/^pdm-test-run-/);
    // Passable by other users (a broker that drops root reaches its directory in it), not listable.
    expect(statSync(scratch).mode & 0o777).toBe(0o711);
    expect(path.dirname(mkdtempSync(path.join(os.tmpdir(), 'pdm-x-')))).toBe(scratch);
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], {
      encoding: 'utf8',
    });
    expect(child).toBe(scratch);
  });
});
