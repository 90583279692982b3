/**
 * The pure parts of harness/images: reading Dockerfiles and .dockerignore, and cache keys
 * (what changes a key and what does not). No buildah here; images.integ.test.ts builds.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageBases } from '../../harness/images/build.js';
import { IMAGES } from '../../harness/images/catalog.js';
import { baseImages, contextSources, normalizeImageName, parseDockerfile, stages } from '../../harness/images/dockerfile.js';
import { isIncluded, parseDockerignore } from '../../harness/images/dockerignore.js';
import { contextFiles, imageKey, KeyInputs } from '../../harness/images/keys.js';
import { repoRoot } from '../../harness/images/paths.js';

describe('Dockerfile reading', () => {
  const text = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=node:24-bookworm-slim',
    'ARG TOOL_IMAGE=alpine/helm:3.22.0',
    'FROM ${BASE} AS build',
    'COPY package.json \\',
    '     package-lock.json ./',
    'RUN npm ci',
    'FROM ${TOOL_IMAGE} AS tool',
    'FROM debian:bookworm-slim',
    'COPY --from=build /src/lib ./lib',
    'COPY --from=tool /usr/bin/helm /usr/local/bin/helm',
    'COPY --from=registry.k8s.io/kubectl:v1.36.3 /bin/kubectl /usr/local/bin/kubectl',
    'COPY --chmod=0755 run.sh /run.sh',
    'ADD data ./data',
  ].join('\n');
  const instructions = parseDockerfile(text);

  test('joins continuation lines and drops comments', () => {
    expect(instructions[0]).toEqual({ keyword: 'ARG', args: 'BASE=node:24-bookworm-slim' });
    expect(instructions.find((i) => i.keyword === 'COPY')?.args).toMatch(/^package\.json\s+package-lock\.json \.\/$/);
  });

  test('substitutes global ARG defaults, and build args over them, in FROM', () => {
    expect(stages(instructions).map((s) => s.base)).toEqual(['node:24-bookworm-slim', 'alpine/helm:3.22.0', 'debian:bookworm-slim']);
    expect(stages(instructions, { BASE: 'node:22-bookworm-slim' })[0]).toEqual({ base: 'node:22-bookworm-slim', alias: 'build' });
  });

  test('lists the images a build pulls: FROM and COPY --from images, not stages', () => {
    expect(baseImages(instructions)).toEqual(['node:24-bookworm-slim', 'alpine/helm:3.22.0', 'debian:bookworm-slim', 'registry.k8s.io/kubectl:v1.36.3']);
  });

  test('lists the build-context sources of COPY and ADD, not those of COPY --from', () => {
    expect(contextSources(instructions)).toEqual(['package.json', 'package-lock.json', 'run.sh', 'data']);
  });

  test.each([
    ['debian:bookworm-slim', 'docker.io/library/debian:bookworm-slim'],
    ['alpine/helm:3.22.0', 'docker.io/alpine/helm:3.22.0'],
    ['registry.k8s.io/kubectl:v1.36.3', 'registry.k8s.io/kubectl:v1.36.3'],
    ['localhost/x:1', 'localhost/x:1'],
    ['quay.io/kubeopencode/kubeopencode:dev', 'quay.io/kubeopencode/kubeopencode:dev'],
  ])('normalizes %s as Docker does', (name, normalized) => {
    expect(normalizeImageName(name)).toBe(normalized);
  });
});

describe('.dockerignore', () => {
  const rules = parseDockerignore('# only what we copy\n*\n!package.json\n!src/\nsrc/**/*.test.ts\n');

  test('an excluded directory excludes what is inside; a later ! re-includes', () => {
    expect(isIncluded(rules, 'package.json')).toBe(true);
    expect(isIncluded(rules, 'README.md')).toBe(false);
    expect(isIncluded(rules, 'test/a.ts')).toBe(false);
    expect(isIncluded(rules, 'src/cli/main.ts')).toBe(true);
  });

  test('the last matching pattern wins', () => {
    expect(isIncluded(rules, 'src/cli/main.test.ts')).toBe(false);
    expect(isIncluded([], 'anything')).toBe(true);
  });
});

describe('cache keys', () => {
  function context(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kubeopencode-image-key-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM debian:bookworm-slim\nCOPY a.sh ./\nCOPY src ./src\n');
    writeFileSync(join(dir, 'a.sh'), 'echo a\n');
    writeFileSync(join(dir, 'src', 'b.ts'), 'export const b = 1;\n');
    writeFileSync(join(dir, 'src', 'b.test.ts'), 'test\n');
    writeFileSync(join(dir, 'README.md'), 'not copied\n');
    writeFileSync(join(dir, '.dockerignore'), 'src/*.test.ts\n');
    return dir;
  }
  const keyOf = (dir: string, more: Partial<KeyInputs> = {}) => {
    const dockerfile = 'FROM debian:bookworm-slim\nCOPY a.sh ./\nCOPY src ./src\n';
    return imageKey({ recipe: '1', dockerfile, buildArgs: {}, bases: { 'docker.io/library/debian:bookworm-slim': 'k1' }, files: contextFiles(dir, dockerfile), ...more });
  };

  test('reads exactly the copied files that .dockerignore lets through', () => {
    const dir = context();
    expect(contextFiles(dir, 'FROM x\nCOPY a.sh ./\nCOPY src ./src\n').map((f) => f.path)).toEqual(['a.sh', 'src/b.ts']);
  });

  test('a change to a copied file changes the key', () => {
    const dir = context();
    const before = keyOf(dir);
    writeFileSync(join(dir, 'src', 'b.ts'), 'export const b = 2;\n');
    expect(keyOf(dir)).not.toBe(before);
  });

  test('a new file in a copied directory, or a new executable bit, changes the key', () => {
    const dir = context();
    const before = keyOf(dir);
    chmodSync(join(dir, 'a.sh'), 0o755);
    const chmodded = keyOf(dir);
    expect(chmodded).not.toBe(before);
    writeFileSync(join(dir, 'src', 'c.ts'), '');
    expect(keyOf(dir)).not.toBe(chmodded);
  });

  test('a change elsewhere in the context, or to an ignored file, does not', () => {
    const dir = context();
    const before = keyOf(dir);
    writeFileSync(join(dir, 'README.md'), 'changed\n');
    writeFileSync(join(dir, 'src', 'b.test.ts'), 'changed\n');
    writeFileSync(join(dir, 'other.txt'), 'new\n');
    expect(keyOf(dir)).toBe(before);
  });

  test('a base image, a build arg or the Dockerfile itself changes the key', () => {
    const dir = context();
    const before = keyOf(dir);
    expect(keyOf(dir, { bases: { 'docker.io/library/debian:bookworm-slim': 'k2' } })).not.toBe(before);
    expect(keyOf(dir, { buildArgs: { VERSION: '2' } })).not.toBe(before);
    expect(keyOf(dir, { dockerfile: 'FROM debian:bookworm-slim\nCOPY a.sh ./\nCOPY src ./src\nUSER 1000\n' })).not.toBe(before);
  });

  test('a COPY source that does not exist fails with its name', () => {
    expect(() => contextFiles(context(), 'FROM x\nCOPY missing.txt /\n')).toThrow(/missing\.txt/);
  });
});

describe('the repository images', () => {
  test('are named as the chart and the Agent defaults name them, with the tag dev', () => {
    expect(Object.values(IMAGES).map((i) => i.name)).toEqual([
      'quay.io/kubeopencode/kubeopencode:dev',
      'quay.io/kubeopencode/kubeopencode-agent-opencode:dev',
      'quay.io/kubeopencode/kubeopencode-agent-devbox:dev',
      'quay.io/kubeopencode/kubeopencode-agent-echo:dev',
    ]);
  });

  test.each(Object.entries(IMAGES))('%s: every base image of its Dockerfile has a local recipe', (_id, spec) => {
    expect(imageBases(spec).length).toBeGreaterThan(0);
  });

  test('the system image reads its sources but not the tests or the docs', () => {
    const paths = contextFiles(repoRoot, 'COPY package.json package-lock.json ./\nCOPY tsconfig.json ./\nCOPY src ./src\nCOPY imports ./imports\nCOPY scripts/ui-bundle.ts scripts/cli-bundle.ts ./scripts/\n').map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'src/cli/entry.ts', 'scripts/cli-bundle.ts']));
    expect(paths.filter((p) => /^(test|docs|harness)\//.test(p) || p === 'README.md')).toEqual([]);
  });
});
