/**
 * The image build by hand:
 *
 *   npx tsx harness/images/cli.ts build [system|opencode|devbox|echo ...]   build what changed; print the table
 *   npx tsx harness/images/cli.ts import CTR ADDRESS                        build, then load into a containerd
 *   npx tsx harness/images/cli.ts clear                                     remove the image cache (storage included)
 */
import { existsSync, rmSync } from 'node:fs';
import { buildImages, formatTable } from './build.js';
import { buildah } from './buildah.js';
import { IMAGES, ImageId } from './catalog.js';
import { log } from './exec.js';
import { importImages } from './import.js';
import { imagesCache } from './paths.js';

async function main([command, ...args]: string[]): Promise<void> {
  if (command === 'build') {
    const unknown = args.filter((a) => !(a in IMAGES));
    if (unknown.length) throw new Error(`unknown image ${unknown.join(', ')}; known: ${Object.keys(IMAGES).join(', ')}`);
    const built = await buildImages(args.length ? { only: args as ImageId[] } : {});
    process.stdout.write(`${formatTable(Object.values(built))}\n`);
  } else if (command === 'import' && args.length === 2) {
    const built = await buildImages();
    for (const r of await importImages(args[0], args[1], Object.values(built))) log(`${r.name}: ${r.imported ? 'imported' : 'already there'}`);
  } else if (command === 'clear') {
    // Containers left by an interrupted build hold mounts inside the storage folder.
    if (existsSync(imagesCache())) await buildah(['rm', '--all']).catch(() => undefined);
    rmSync(imagesCache(), { recursive: true, force: true });
    log(`removed ${imagesCache()}`);
  } else {
    throw new Error('usage: cli.ts build [image...] | import CTR ADDRESS | clear');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
