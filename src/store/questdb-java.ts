/** Finding a Java that can run the pinned QuestDB, with an error that names what is missing. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { QUESTDB_JAVA_MAJOR, QUESTDB_VERSION } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';

export interface JavaRuntime {
  readonly bin: string;
  readonly major: number;
}

/** Major version printed by `java -version` ("17.0.15", "1.8.0_402" -> 8), or undefined if it does not run. */
export function javaMajor(bin: string): number | undefined {
  // `java -version` prints to stderr.
  const res = spawnSync(bin, ['-version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15_000,
  });
  if (res.error || res.status !== 0) return undefined;
  return parseJavaVersion(`${res.stderr}\n${res.stdout}`);
}

export function parseJavaVersion(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

function candidates(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit !== undefined) return [explicit];
  const list: string[] = [];
  if (env.JAVA_HOME) list.push(path.join(env.JAVA_HOME, 'bin', 'java'));
  list.push('java');
  // Installed JDKs beside the default one (Debian, Temurin), newest first.
  const jvmRoot = '/usr/lib/jvm';
  if (existsSync(jvmRoot)) {
    for (const dir of readdirSync(jvmRoot).sort().reverse()) {
      const bin = path.join(jvmRoot, dir, 'bin', 'java');
      if (existsSync(bin)) list.push(bin);
    }
  }
  return list;
}

export function findJava(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const seen: string[] = [];
  for (const bin of candidates(explicit, env)) {
    const major = javaMajor(bin);
    seen.push(`${bin}: ${major === undefined ? 'does not run' : `Java ${major}`}`);
    if (major !== undefined && major >= QUESTDB_JAVA_MAJOR) return { bin, major };
  }
  throw new PdmError(
    ErrorCodes.QUESTDB_JAVA_MISSING,
    `QuestDB ${QUESTDB_VERSION} needs Java ${QUESTDB_JAVA_MAJOR} or newer; none found (${seen.join('; ')}). ` +
      `Install one (e.g. apt-get install openjdk-17-jre-headless) or set PDM_JAVA to its java binary.`,
  );
}
