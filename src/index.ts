/**
 * kubeopencode: a cdk8s construct library for AI coding agents as Kubernetes Pods.
 * This entry point loads no Kubernetes client, so the constructs work on any Node.js
 * that cdk8s supports; the reconciler lives under src/reconciler.
 */
export * as api from './api/index.js';
export * from './constructs/index.js';
export { validateObject, applyDefaults, formatFieldErrors } from './api/validate.js';
export type { FieldError, KubeOpenCodeKind } from './api/validate.js';
