/**
 * The images users build from this repository's Dockerfiles, with the names the chart and
 * Agents use (src/api/constants.ts `Defaults`, the chart's controller.image.repository), at
 * the tag `dev` the Dockerfiles' comments give for a local build.
 */
import { Defaults } from '../../src/api/constants.js';

export const TAG = 'dev';

export interface ImageSpec {
  readonly name: string;
  /** Relative to the repository. */
  readonly dockerfile: string;
  /** The build context, relative to the repository. */
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
}

const repository = (image: string) => image.replace(/:[^/:]+$/, '');
const devTag = (image: string) => `${repository(image)}:${TAG}`;

export const IMAGES = {
  system: { name: devTag(Defaults.systemImage), dockerfile: 'Dockerfile', context: '.', buildArgs: {} },
  opencode: { name: devTag(Defaults.agentImage), dockerfile: 'images/opencode/Dockerfile', context: 'images/opencode', buildArgs: {} },
  devbox: { name: devTag(Defaults.executorImage), dockerfile: 'images/devbox/Dockerfile', context: 'images/devbox', buildArgs: {} },
  // The end-to-end tests' agent image: an Agent's two images with a fake opencode.
  echo: {
    name: `${repository(Defaults.agentImage).replace(/-opencode$/, '-echo')}:${TAG}`,
    dockerfile: 'images/echo/Dockerfile',
    context: 'images/echo',
    buildArgs: {},
  },
} as const satisfies Record<string, ImageSpec>;

export type ImageId = keyof typeof IMAGES;
