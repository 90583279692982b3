/**
 * The `kubeopencode` command. Each subcommand lives in its own module and is loaded only
 * when used, so `render` and the in-Pod helpers never load the Kubernetes client.
 */
import type { Command } from './lib/cli.js';

export const commands: Record<string, () => Promise<Command>> = {
  'run': async () => (await import('./run.js')).command,
  'get': async () => (await import('./get.js')).command,
  'describe': async () => (await import('./describe.js')).command,
  'logs': async () => (await import('./logs.js')).command,
  'stop': async () => (await import('./stop.js')).command,
  'wait': async () => (await import('./wait.js')).command,
  'ui': async () => (await import('./ui.js')).command,
  'completion': async () => (await import('./completion.js')).command,
  'controller': async () => (await import('./controller.js')).command,
  'render': async () => (await import('./render.js')).command,
  'context-init': async () => (await import('./context-init.js')).command,
  'git-init': async () => (await import('./git-init.js')).command,
  'url-fetch': async () => (await import('./url-fetch.js')).command,
  'collect-outputs': async () => (await import('./collect-outputs.js')).command,
  // Hidden: what the completion scripts call for candidates.
  '__complete': async () => (await import('./complete.js')).command,
};

/** Commands left out of the help. */
export const hidden = new Set(['__complete']);

async function usage(): Promise<string> {
  const lines = await Promise.all(Object.entries(commands).filter(([name]) => !hidden.has(name)).map(async ([name, load]) => {
    try {
      return `  ${name.padEnd(16)} ${(await load()).summary}`;
    } catch {
      return `  ${name}`;
    }
  }));
  return `Usage: kubeopencode <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "kubeopencode <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`kubeopencode: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  return (await load()).run(args);
}
