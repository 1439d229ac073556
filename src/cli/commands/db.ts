import { ErrorCodes, PdmError } from '../../errors.ts';
import { serverStatus, startServer, stopServerByPid } from '../../store/index.ts';
import type { CommandContext } from '../main.ts';

export async function dbCommand({ args, config, out }: CommandContext): Promise<void> {
  const cfg = config.questdb;
  switch (args[0]) {
    case 'start': {
      const server = await startServer(cfg, { detached: true });
      const status = await serverStatus(cfg);
      out.result(
        { ok: true, started: server.startedHere, ...status },
        server.startedHere
          ? `QuestDB started (pid ${server.pid}) at ${status.httpUrl}, PG wire on port ${status.pgPort}, data in ${status.dataDir}`
          : `QuestDB already running (pid ${server.pid}) at ${status.httpUrl}`,
      );
      return;
    }
    case 'stop': {
      const stopped = await stopServerByPid(cfg);
      out.result({ ok: true, stopped }, stopped ? 'QuestDB stopped' : 'QuestDB was not running');
      return;
    }
    case 'status': {
      const status = await serverStatus(cfg);
      const human = status.managed
        ? `managed QuestDB ${status.version}: ${status.running ? `running (pid ${status.pid})` : 'not running'}, ` +
          `${status.answering ? 'answering' : 'not answering'} at ${status.httpUrl}; data ${status.dataDir}`
        : `external QuestDB at ${status.httpUrl}: ${status.answering ? 'answering' : 'not answering'}`;
      out.result({ ok: true, ...status }, human);
      return;
    }
    default:
      throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm db start|stop|status');
  }
}
