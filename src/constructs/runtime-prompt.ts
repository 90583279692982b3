/**
 * The Runtime context: a fixed prompt that tells the agent where it runs and how to
 * read its own Task. It names environment variables rather than values, so it is the
 * same text in every Pod.
 */
export const RUNTIME_PROMPT = `# KubeOpenCode Runtime Context

You are running inside a Kubernetes Pod created by KubeOpenCode for one Task.

## Environment
- \`TASK_NAME\`: the name of your Task.
- \`TASK_NAMESPACE\`: the namespace of your Task.
- \`WORKSPACE_DIR\`: your working directory; this file (task.md) is in it.
- \`HOME\`: a writable home directory.

## Your Task
If your ServiceAccount may read Tasks, you can see your own Task and its status:

    kubectl get task "$TASK_NAME" -n "$TASK_NAMESPACE" -o yaml
    kubectl get task "$TASK_NAME" -n "$TASK_NAMESPACE" -o jsonpath='{.status}'

## Files
- \`task.md\`: your instructions, followed by the contexts given to you, each in a <context> element.
- Other contexts may be mounted as files or directories in the workspace, as your instructions say.
- If your Task declares output parameters, write each value to its file before you exit; the file's
  content becomes the output. Write nothing else there.

## Terms
- Task: one run of an agent, like this one.
- Agent: the configuration (images, credentials, limits) that Tasks run with.
`;
