/**
 * `kubeopencode completion bash|zsh`: a script that asks `kubeopencode __complete WORDS...`
 * for the candidates, so that commands, flags, resource types and Task and Agent names
 * (read from the cluster) complete from the same definitions the commands parse with.
 */
import { Command, defineCommand, str, UsageError } from './lib/cli.js';

const bash = `# kubeopencode completion for bash. Load it with:  source <(kubeopencode completion bash)
_kubeopencode() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
  COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _kubeopencode kubeopencode kubectl-kubeopencode
`;

const zsh = `#compdef kubeopencode kubectl-kubeopencode
# kubeopencode completion for zsh. Load it with:  source <(kubeopencode completion zsh)
# (after compinit), or save it as _kubeopencode in a directory of $fpath.
_kubeopencode() {
  local -a candidates
  candidates=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
if [ "$funcstack[1]" = "_kubeopencode" ]; then
  _kubeopencode "$@"
else
  compdef _kubeopencode kubeopencode kubectl-kubeopencode
fi
`;

export const command: Command = defineCommand({
  name: 'completion',
  summary: 'Print a shell completion script (bash or zsh)',
  positionals: [{ name: 'shell', arg: 'SHELL', required: true, description: 'bash or zsh' }],
  options: {},
  details: `Examples:
  source <(kubeopencode completion bash)      # in ~/.bashrc
  source <(kubeopencode completion zsh)       # in ~/.zshrc, after compinit`,
  run: async (values) => {
    const shell = str(values.shell);
    if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`unsupported shell "${shell}": use bash or zsh`);
    process.stdout.write(shell === 'bash' ? bash : zsh);
    return 0;
  },
});
