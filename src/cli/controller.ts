import { Command } from './main.js';

export const command: Command = {
  summary: 'Run the reconciler (watches Tasks and Agents, runs their Pods)',
  run: async (args) => (await import('../reconciler/controller-main.js')).runController(args),
};
