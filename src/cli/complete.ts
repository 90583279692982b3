/**
 * `kubeopencode __complete WORDS...` (hidden): the candidates for the last word, one per
 * line, for the completion scripts. Commands, flags and arguments come from the commands'
 * own definitions; namespaces, Tasks, Agents and contexts from the cluster, quickly and
 * quietly (no cluster: no names, never an error).
 */
import { cliClient } from './kube/client.js';
import { loadTarget } from './kube/config.js';
import { AGENTS, resourcePath, ResourceType, resourceType, TASKS } from './kube/resources.js';
import { Command, CommandDefinition } from './lib/cli.js';
import { commands, hidden } from './main.js';
import { TASK_PHASES } from '../api/constants.js';

/** The value of `--name VALUE`, `--name=VALUE` or `-x VALUE` among the words. */
function flagValue(words: readonly string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if (words[i].startsWith(`--${long}=`)) return words[i].slice(long.length + 3);
    if (words[i] === `--${long}` || (short && words[i] === `-${short}`)) return words[i + 1];
  }
  return undefined;
}

async function names(words: readonly string[], type: ResourceType | 'namespaces'): Promise<string[]> {
  try {
    const target = loadTarget({ kubeconfig: flagValue(words, 'kubeconfig'), context: flagValue(words, 'context'), namespace: flagValue(words, 'namespace', 'n') });
    const client = cliClient(target.kc);
    try {
      const path = type === 'namespaces' ? '/api/v1/namespaces' : resourcePath(type, target.namespace);
      const list = await client.request<{ items: { metadata: { name: string } }[] }>('GET', path, { signal: AbortSignal.timeout(3000) });
      return list.items.map((o) => o.metadata.name);
    } finally {
      await client.close();
    }
  } catch {
    return [];
  }
}

function contexts(words: readonly string[]): string[] {
  try {
    return loadTarget({ kubeconfig: flagValue(words, 'kubeconfig') }).kc.getContexts().map((c) => c.name);
  } catch {
    return [];
  }
}

/** The option a word names (`--output`, `-o`), if it takes a value. */
function valueOption(def: CommandDefinition, word: string): string | undefined {
  const entry = Object.entries(def.options).find(([name, spec]) => word === `--${name}` || (spec.short && word === `-${spec.short}`));
  return entry && entry[1].type === 'string' ? entry[0] : undefined;
}

async function optionValues(cmd: string, option: string, words: readonly string[]): Promise<string[]> {
  switch (option) {
    case 'namespace': return names(words, 'namespaces');
    case 'agent': return names(words, AGENTS);
    case 'context': return contexts(words);
    case 'output': return cmd === 'get' ? ['wide', 'yaml', 'json', 'name'] : ['yaml', 'json'];
    case 'container': return ['agent', 'context-init', 'git-0', 'url-0', 'collect-outputs'];
    case 'for': return [...TASK_PHASES.map((p) => `phase=${p}`), 'condition=Ready', 'condition=Queued', 'condition=Stopped'];
    default: return [];
  }
}

/** Candidates for the positional argument at `index`, given the positionals before it. */
async function positionalValues(cmd: string, def: CommandDefinition, given: readonly string[], words: readonly string[]): Promise<string[]> {
  const spec = def.positionals?.[given.length];
  if (!spec) return [];
  if (spec.name === 'resource') return cmd === 'describe' ? ['task'] : ['tasks', 'agents'];
  if (spec.name === 'shell') return ['bash', 'zsh'];
  if (spec.name === 'task') return names(words, TASKS);
  if (spec.name === 'name') {
    try {
      return await names(words, resourceType(given[0] ?? 'tasks'));
    } catch {
      return [];
    }
  }
  return [];
}

export async function candidates(words: readonly string[]): Promise<string[]> {
  if (words.length <= 1) return Object.keys(commands).filter((c) => !hidden.has(c));
  const [cmd, ...rest] = words;
  const def = commands[cmd] ? (await commands[cmd]()).definition : undefined;
  if (!def) return [];
  const current = rest[rest.length - 1];
  const before = rest.slice(0, -1);
  const option = before.length ? valueOption(def, before[before.length - 1]) : undefined;
  if (option) return optionValues(cmd, option, words);
  if (current.startsWith('-')) return [...Object.keys(def.options).map((o) => `--${o}`), '--help'];
  // The positionals so far: words that are neither flags nor a flag's value.
  const given = before.filter((w, i) => !w.startsWith('-') && !(i > 0 && valueOption(def, before[i - 1])));
  return positionalValues(cmd, def, given, words);
}

/**
 * Not a defineCommand: its arguments are another command line (with that command's flags),
 * taken as words, never parsed as options of its own.
 */
export const command: Command = {
  summary: 'Completion candidates for the shell scripts (internal)',
  run: async (args) => {
    process.stdout.write((await candidates(args.length ? args : [''])).map((c) => `${c}\n`).join(''));
    return 0;
  },
};
