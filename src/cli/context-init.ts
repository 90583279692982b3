/**
 * `kubeopencode context-init`: the init container that writes task.md and the context
 * files into the workspace, following plan.json from the context ConfigMap.
 */
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ContextInitPlan } from '../constructs/context-plan.js';
import { defineCommand, errorCode, Log, str } from './lib/cli.js';
import { assertNoSymlinks, DIR_MODE, ensureDirInside, PathError, resolveInside, withBits, writeFileInside } from './lib/safe-write.js';

const TASK_MD = 'task.md';
const PLAN = 'plan.json';
const TASK_MD_MODE = 0o664;
/** What Kubernetes allows as a ConfigMap key; anything else could name a file outside the directory. */
const isConfigMapKey = (k: string): boolean => /^[-._a-zA-Z0-9]+$/.test(k) && k !== '.' && !k.startsWith('..');

interface FileWrite { readonly key: string; readonly path: string; readonly mode: number }
interface DirWrite { readonly path: string; readonly files: readonly FileWrite[] }

class PlanError extends Error {}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new PlanError(`${PLAN}: ${what}`);
}

const isMode = (m: unknown): m is number => Number.isInteger(m) && (m as number) >= 0 && (m as number) <= 0o7777;

/** Checks the shape of plan.json (it comes from a ConfigMap that anyone with access could edit). */
function validatePlan(data: unknown): ContextInitPlan {
  const plan = data as ContextInitPlan;
  expect(!!plan && typeof plan === 'object', 'not a JSON object');
  expect(typeof plan.workspaceDir === 'string' && isAbsolute(plan.workspaceDir), 'workspaceDir must be an absolute path');
  expect(Array.isArray(plan.taskMdInserts) && Array.isArray(plan.files) && Array.isArray(plan.dirs), 'taskMdInserts, files and dirs must be lists');
  expect(plan.homeDir === undefined || (typeof plan.homeDir === 'string' && isAbsolute(plan.homeDir)), 'homeDir must be an absolute path');
  expect(plan.directories === undefined || (Array.isArray(plan.directories) && plan.directories.every((d) => typeof d === 'string')), 'directories must be a list of paths');
  plan.taskMdInserts.forEach((ins, i) => {
    expect(Number.isInteger(ins?.offset) && typeof ins?.file === 'string', `taskMdInserts[${i}] needs an integer offset and a file`);
  });
  plan.files.forEach((f, i) => {
    expect(typeof f?.key === 'string' && typeof f.path === 'string' && isMode(f.mode), `files[${i}] needs a key, a path and a mode`);
  });
  plan.dirs.forEach((d, i) => {
    expect(typeof d?.path === 'string' && isMode(d.mode) && Array.isArray(d.entries), `dirs[${i}] needs a path, a mode and entries`);
    d.entries.forEach((e, j) => {
      expect(typeof e?.key === 'string' && typeof e.name === 'string', `dirs[${i}].entries[${j}] needs a key and a name`);
    });
  });
  return plan;
}

async function readPlan(configDir: string): Promise<ContextInitPlan> {
  const text = await readConfigKey(configDir, PLAN);
  try {
    return validatePlan(JSON.parse(text.toString('utf8')));
  } catch (err) {
    if (err instanceof PlanError) throw err;
    throw new PlanError(`${PLAN} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function readConfigKey(configDir: string, key: string): Promise<Buffer> {
  if (!isConfigMapKey(key)) throw new PlanError(`${PLAN} names an invalid ConfigMap key "${key}"`);
  try {
    return await readFile(join(configDir, key));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw new Error(`the context ConfigMap at ${configDir} has no key "${key}"`);
    throw err;
  }
}

/** Resolves every target up front, so that a plan with one bad path writes nothing at all. */
function resolveTargets(plan: ContextInitPlan): { files: FileWrite[]; dirs: DirWrite[] } {
  const root = plan.workspaceDir;
  const files = plan.files.map((f) => ({ key: f.key, mode: f.mode, path: resolveInside(root, f.path) }));
  const dirs = plan.dirs.map((d) => {
    const path = resolveInside(root, d.path);
    return {
      path,
      files: d.entries.map((e) => {
        if (!isConfigMapKey(e.name)) throw new PathError(`refusing entry name "${e.name}" in ${d.path}`);
        return { key: e.key, mode: d.mode, path: join(path, e.name) };
      }),
    };
  });
  for (const f of files) {
    if (f.path === root) throw new PathError(`refusing to write a file at the workspace directory ${root} itself`);
  }
  return { files, dirs };
}

/** Ends non-empty inserted content with a newline, as the planner does for inline content. */
const withNewline = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);

/** task.md: the ConfigMap's text with each fetched URL's content inserted at its offset. */
async function composeTaskMd(text: string, inserts: ContextInitPlan['taskMdInserts']): Promise<string> {
  let out = '';
  let from = 0;
  for (const { offset, file } of inserts) {
    if (offset < from || offset > text.length) throw new PlanError(`${PLAN}: task.md insert offset ${offset} is out of order or past the end`);
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new Error(`fetched content ${file} for task.md is missing (did its url-fetch container run?)`);
      throw err;
    }
    out += text.slice(from, offset) + withNewline(content);
    from = offset;
  }
  return out + text.slice(from);
}

/** The workspace is normally an emptyDir; locally it may not exist yet. */
async function prepareWorkspace(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const info = await stat(root);
  // Group-writable for the agent; an emptyDir's root belongs to root and is already 0777.
  if (info.uid === process.getuid?.()) await chmod(root, withBits(info.mode, DIR_MODE));
}

async function writeAll(configDir: string, plan: ContextInitPlan, log: Log): Promise<void> {
  const root = plan.workspaceDir;
  const { files, dirs } = resolveTargets(plan);
  for (const target of [join(root, TASK_MD), ...files.map((f) => f.path), ...dirs.flatMap((d) => [d.path, ...d.files.map((f) => f.path)])]) {
    await assertNoSymlinks(root, target);
  }
  const taskMd = await composeTaskMd((await readConfigKey(configDir, TASK_MD)).toString('utf8'), plan.taskMdInserts);
  await prepareWorkspace(root);
  const taskMdPath = join(root, TASK_MD);
  const size = await writeFileInside(root, taskMdPath, taskMd, TASK_MD_MODE);
  log.info(`wrote ${taskMdPath} (${size} bytes, ${plan.taskMdInserts.length} fetched insert(s))`);
  for (const f of files) {
    const bytes = await writeFileInside(root, f.path, await readConfigKey(configDir, f.key), f.mode);
    log.info(`wrote ${f.path} (${bytes} bytes, mode ${f.mode.toString(8)})`);
  }
  for (const d of dirs) {
    await ensureDirInside(root, d.path);
    for (const f of d.files) await writeFileInside(root, f.path, await readConfigKey(configDir, f.key), f.mode);
    log.info(`wrote ${d.files.length} file(s) into ${d.path}`);
  }
  await createMountParents(plan, log);
}

/**
 * Creates the parents of mount points inside the workspace or home as this (the agent's)
 * user; otherwise the container runtime would create them root-owned and read-only to it.
 */
async function createMountParents(plan: ContextInitPlan, log: Log): Promise<void> {
  const roots = [plan.workspaceDir, ...(plan.homeDir ? [plan.homeDir] : [])];
  for (const dir of plan.directories ?? []) {
    const root = roots.find((r) => dir.startsWith(`${r}/`));
    if (!root) throw new Error(`directory ${dir} is outside the workspace and the home directory`);
    await ensureDirInside(root, resolveInside(root, dir));
  }
  if (plan.directories?.length) log.info(`created ${plan.directories.length} parent director${plan.directories.length === 1 ? 'y' : 'ies'} of mount points`);
}

export const command = defineCommand({
  name: 'context-init',
  summary: 'Write task.md and the context files into the workspace (init container)',
  details: 'DIR holds task.md, plan.json and the files plan.json names. Every target must stay inside the\n' +
    'workspace: ".." and symbolic links are refused.',
  options: {
    'config-dir': { type: 'string', required: true, arg: 'DIR', description: 'The mounted context ConfigMap' },
  },
  run: async (values, log) => {
    const configDir = str(values['config-dir'])!;
    await writeAll(configDir, await readPlan(configDir), log);
    return 0;
  },
});
