import { connectStore } from '../../store/index.ts';
import type { CommandContext } from '../main.ts';

export async function migrateCommand({ config, out }: CommandContext): Promise<void> {
  const store = await connectStore(config, { start: false });
  try {
    const { applied, alreadyApplied } = store.migrations;
    out.result(
      { ok: true, applied, already_applied: alreadyApplied },
      applied.length > 0
        ? `Applied ${applied.join(', ')}`
        : `Schema up to date (${alreadyApplied} migrations)`,
    );
  } finally {
    await store.close();
  }
}
