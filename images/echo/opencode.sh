#!/bin/sh
# A stand-in for `opencode run "<prompt>"`: prints the prompt, then writes outputs under
# $WORKSPACE_DIR/.outputs (summary, the task's first line; echo, the whole prompt).
#   ECHO_SLEEP_SECONDS   wait this long first (default 0)
#   ECHO_EXIT_CODE       exit with this code at the end (default 0)
set -eu
if [ "${1:-}" != "run" ]; then
  echo "usage: opencode run PROMPT" >&2
  exit 2
fi
shift
prompt=$*
workspace=${WORKSPACE_DIR:-$(pwd)}
sleep "${ECHO_SLEEP_SECONDS:-0}"
printf '%s\n' "=== task (${TASK_NAMESPACE:-?}/${TASK_NAME:-?}) ===" "$prompt"
mkdir -p "$workspace/.outputs"
printf '%s' "$prompt" | head -n 1 > "$workspace/.outputs/summary"
printf '%s' "$prompt" > "$workspace/.outputs/echo"
exit "${ECHO_EXIT_CODE:-0}"
