/**
 * The MCP configuration end to end in one Pod's helpers: a Task rendered by the reconciler's
 * own renderTask, its context ConfigMap laid out as the kubelet mounts it, and the real
 * context-init helper (a process) writing the workspace. The file it writes is what OpenCode
 * reads through OPENCODE_CONFIG.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, runCli } from './helpers.js';
import { permissionBits } from '../../src/cli/lib/safe-write.js';
import { MCP_CONFIG_PATH } from '../../src/constructs/mcp-config.js';
import { renderTask } from '../../src/reconciler/render.js';

afterAll(removeTempDirs);

test('context-init writes the MCP configuration into the workspace, naming env vars for Secret values', async () => {
  const dir = makeTempDir('context-init-mcp');
  const workspace = join(dir, 'workspace');
  const { configMap, pod } = renderTask({
    task: { metadata: { name: 't', namespace: 'team', uid: 'u' }, spec: { description: 'Use the tools', mcpServers: [{ name: 'docs', remote: { url: 'https://mcp.example.com/docs' } }] } },
    agent: {
      metadata: { name: 'coder', namespace: 'team' },
      spec: {
        workspaceDir: workspace,
        mcpServers: [{ name: 'github', remote: { url: 'https://api.githubcopilot.com/mcp/', headers: [{ name: 'Authorization', secretKeyRef: { name: 'tokens', key: 'gh' } }] } }],
      },
    },
  });
  // The ConfigMap as its volume shows it: one file per key.
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  mkdirSync(workspace);
  for (const [key, value] of Object.entries(configMap.data as Record<string, string>)) writeFileSync(join(configDir, key), value);

  const { code, stderr } = await runCli(['context-init', '--config-dir', configDir]);
  expect(stderr).not.toContain('error');
  expect(code).toBe(0);

  const written = join(workspace, MCP_CONFIG_PATH);
  const config = JSON.parse(readFileSync(written, 'utf8'));
  expect(Object.keys(config.mcp)).toEqual(['github', 'docs']);
  expect(config.mcp.github.headers.Authorization).toBe('{env:KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION}');
  expect(permissionBits(statSync(written).mode)).toBe(0o644);
  const agentEnv = pod.spec.containers.find((c: { name: string }) => c.name === 'agent').env as { name: string; value?: string }[];
  expect(agentEnv.find((e) => e.name === 'OPENCODE_CONFIG')?.value).toBe(written);
  expect(agentEnv.map((e) => e.name)).toContain('KUBEOPENCODE_MCP_GITHUB_AUTHORIZATION');
});
