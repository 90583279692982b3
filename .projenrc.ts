import { DependencyType, javascript, typescript } from 'projen';

// ESM throughout: @kubernetes/client-node 2.x is ESM-only, and Jest must load it for real.
const esm = {
  module: 'NodeNext',
  moduleResolution: javascript.TypeScriptModuleResolution.NODE_NEXT,
  target: 'ES2022',
  lib: ['ES2022'],
  rootDir: '.',
  skipLibCheck: true,
};

const project = new typescript.TypeScriptProject({
  name: 'kubeopencode',
  description: 'Run AI coding agents as Kubernetes Pods: a cdk8s construct library plus a thin reconciler.',
  license: 'Apache-2.0',
  copyrightOwner: 'Contributors to the KubeOpenCode project',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  typescriptVersion: '~5.9.3',
  minNodeVersion: '22.19.0',
  github: false,
  release: false,
  depsUpgrade: false,
  sampleCode: false,
  libdir: 'lib',
  deps: [
    '@kubernetes/client-node@2.0.1',
    'ajv@^8.17',
    'cdk8s@^2.70.0',
    'cdk8s-plus-28@^2.5.6',
    'constructs@^10.3.0',
    'cron-parser@^5',
    'minimatch@^11',
    'prom-client@^15.1',
    // The HTTP client under client-node (the same copy: client-node 2.0.1 asks for ^8.7);
    // the RestClient sends plain requests through its dispatcher API, not fetch.
    'undici@^8.7',
    'winston@^3.19',
    'yaml@^2.8',
  ],
  devDeps: ['node@24', '@types/node@^24', '@types/ws', 'tsx', 'cdk8s-cli@^2.207', '@jest/globals@^30',
    // The Web UI's page (bundled into lib/ui) and its browser tests.
    'esbuild@^0.28.2', 'preact@^11.2.0', 'playwright-core@^1.65.2', 'axe-core@^4.14.1'],
  bin: { 'kubeopencode': 'bin/kubeopencode.js', 'kubectl-kubeopencode': 'bin/kubectl-kubeopencode.js' },
  tsconfig: {
    compilerOptions: { ...esm, outDir: 'lib' },
    include: ['src/**/*.ts', 'imports/**/*.ts'],
  },
  // projen keeps the dev tsconfig in test/, so its paths are relative to test/.
  tsconfigDev: {
    // Jest transpiles file by file (ts-jest reads isolatedModules from here); tsc type-checks.
    compilerOptions: { ...esm, rootDir: '..', isolatedModules: true },
    include: ['../src/**/*.ts', '../imports/**/*.ts', '../examples/**/*.ts', '../bench/**/*.ts', '../harness/**/*.ts', '../scripts/**/*.ts', '../.projenrc.ts', '../projenrc/**/*.ts'],
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'scripts', 'harness'],
    // One program for every linted folder (the dev tsconfig includes them all).
    projectService: false,
    tsconfigPath: './test/tsconfig.json',
    ignorePatterns: ['*.js', '*.d.ts', 'node_modules/', '/imports/', 'coverage', '/lib/', '/dist/', '/charts/', '/scratch/'],
    commandOptions: { fix: false },
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      preset: 'ts-jest/presets/default-esm',
      extensionsToTreatAsEsm: ['.ts'],
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      transform: {
        '^.+\\.[t]sx?$': new javascript.Transform('ts-jest', {
          tsconfig: 'test/tsconfig.json',
          useESM: true,
        }),
      },
      globalSetup: '<rootDir>/test/jest/global-setup.ts',
      globalTeardown: '<rootDir>/test/jest/global-teardown.ts',
      collectCoverage: false,
      testTimeout: 30_000,
      maxWorkers: 2,
    },
  },
  gitignore: ['/dist/', '/.cluster/', '*.cpuprofile'],
});

// The rooms and their arrows (README "How it is built"), enforced: a wrong import fails `npm test`.
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      {
        target: ['./src', './harness', './bench', './scripts', './examples', './projenrc'],
        from: './test',
        message: 'Only test/ imports test/: machinery that bench/ or scripts/ need belongs in harness/.',
      },
      {
        target: './src',
        from: ['./harness', './bench', './scripts', './examples'],
        message: 'src/ is what ships: it imports nothing of the harness, bench, scripts or examples.',
      },
      {
        target: './src/reconciler/runtime',
        from: ['./src/api', './src/constructs', './src/cli', './src/reconciler', './imports'],
        except: ['./runtime'],
        message: 'src/reconciler/runtime/ is the generic controller runtime: it knows nothing of Tasks, Agents or the CLI.',
      },
      {
        target: ['./src/api', './src/constructs'],
        from: ['./src/reconciler', './src/cli'],
        message: 'The API and the constructs are pure: they import neither the reconciler nor the CLI.',
      },
      {
        target: ['./src/reconciler', './src/ui'],
        from: './src/cli',
        message: 'Nothing imports the CLI.',
      },
      {
        target: ['./src/api', './src/constructs', './src/reconciler'],
        from: './src/ui',
        message: 'The Web UI sits on top, beside the CLI: nothing below imports it.',
      },
      {
        target: './src/ui/shared',
        from: ['./src/api', './src/constructs', './src/reconciler', './src/ui/server', './imports'],
        message: 'src/ui/shared is bundled into the page: pure code only.',
      },
    ],
  }],
});

// The page's .tsx files have their own tsconfig (DOM types), and are bundled at build time:
// their libraries (preact) are devDependencies.
project.eslint?.addOverride({
  files: ['src/ui/web/**/*.tsx'],
  parserOptions: { project: './src/ui/web/tsconfig.json' },
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true }] },
} as never);

project.package.addField('type', 'module');
// projen appends its own test globs to ours; keep exactly ours.
project.package.file.addOverride('jest.testMatch', ['<rootDir>/test/**/*.test.ts']);
project.deps.removeDependency('constructs', DependencyType.BUILD);
project.package.addField('main', 'lib/src/index.js');
project.package.addField('types', 'lib/src/index.d.ts');
project.defaultTask?.reset('tsx .projenrc.ts');

// `npm ci` compiles too (npm runs `prepare` after installing), so that `npx kubeopencode`
// works right after it, as the README's tour does.
project.package.setScript('prepare', 'tsc --build && tsx scripts/ui-bundle.ts && tsx scripts/cli-bundle.ts');
// After tsc, esbuild bundles the Web UI's page into lib/ui and the CLI as the image runs it
// into lib/bundle.
project.compileTask.exec('tsx scripts/ui-bundle.ts');
project.compileTask.exec('tsx scripts/cli-bundle.ts');

// `npm test` compiles first: the type check runs once, and `lib/` is what the CLI tests run.
project.testTask.env('NODE_OPTIONS', '--experimental-vm-modules --no-warnings=ExperimentalWarning');
project.testTask.prependSpawn(project.compileTask);
project.testTask.prependExec('tsc -p test/tsconfig.json --noEmit');
// The page's sources (.tsx, DOM types) have their own tsconfig.
project.testTask.prependExec('tsc -p src/ui/web/tsconfig.json --noEmit');
// lib/ui/app.css is neither .js nor .d.ts: ship it.
project.npmignore?.addPatterns('!/lib/ui/**');

const unit = project.addTask('test:unit', {
  description: 'Unit tests only (no control plane)',
  env: { NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning', KUBEOPENCODE_NO_CLUSTER: '1' },
});
// A boolean flag last, so that file arguments are not taken as more ignore patterns.
unit.exec('jest --testPathIgnorePatterns=integ.test.ts --ci', { receiveArgs: true });

project.addTask('crds', {
  description: 'Write the CRDs from src/api and regenerate imports/ with cdk8s import',
  steps: [{ exec: 'tsx scripts/imports.ts' }],
});
project.addTask('synth', {
  description: 'Synthesize the CRDs and every example into dist/',
  exec: 'tsx examples/synth-all.ts',
});
project.addTask('chart', {
  description: 'Generate charts/kubeopencode from the KubeOpenCodeOperator construct',
  exec: 'tsx scripts/chart.ts',
  receiveArgs: true,
});
project.addTask('demo', {
  description: 'The whole loop on a local control plane: chart, reconciler, Agent and Tasks, a simulated node',
  exec: 'tsx scripts/demo.ts',
});
project.addTask('bench', {
  description: 'Benchmarks against the local control plane, as ratios to baselines measured in the same run (writes docs/benchmarks.md)',
  exec: 'tsx bench/main.ts',
  receiveArgs: true,
});
project.addTask('cluster', {
  description: 'Start or stop the local control plane: npm run cluster -- up|down|status',
  exec: 'tsx harness/control-plane/cli.ts',
  receiveArgs: true,
});

project.synth();
