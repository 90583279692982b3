/**
 * Argo Events' own Sensor code, run on one webhook call: the argo-events-trigger binary that
 * harness/control-plane/build-binaries.sh builds from harness/control-plane/tools/argo-events.
 * It validates the Sensor as Argo Events' controller does, builds the event as the webhook
 * EventSource publishes it, applies the dependency's filters and runs the k8s trigger up to
 * the create call, whose object it returns (see main.go there).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { binaryPath } from './control-plane/binaries.js';

export const argoEventsTriggerBinary = (): string => binaryPath('argo-events-trigger');

/** An HTTP call to the webhook: headers as the client sends them (Go canonicalizes the names), and the JSON body. */
export interface WebhookCall {
  readonly header?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What the Sensor did with the event. `log` is what Argo Events printed (fallbacks and the like). */
export type SensorOutcome =
  | { readonly kind: 'created'; readonly objects: any[]; readonly log: string }
  | { readonly kind: 'filtered'; readonly error?: string; readonly log: string }
  | { readonly kind: 'failed'; readonly error: string; readonly stage: string; readonly trigger?: string; readonly log: string };

/** Runs the Sensor (an object as the TaskTrigger synthesizes it) on one webhook call. */
export async function runSensor(sensor: unknown, call: WebhookCall): Promise<SensorOutcome> {
  const binary = argoEventsTriggerBinary();
  if (!existsSync(binary)) throw new Error(`${binary} is missing: harness/control-plane/build-binaries.sh builds it`);
  const { code, stdout, stderr } = await run(binary, JSON.stringify({ sensor, header: call.header ?? {}, body: call.body }));
  // Exit 0: created or filtered; 2: Argo Events refused the Sensor or the trigger failed.
  if (code !== 0 && code !== 2) throw new Error(`${binary} exited with ${code}: ${stderr}`);
  const result = JSON.parse(stdout);
  if (result.created) return { kind: 'created', objects: result.created, log: stderr };
  if (result.filtered) return { kind: 'filtered', error: result.error, log: stderr };
  return { kind: 'failed', error: result.error, stage: result.stage, trigger: result.trigger, log: stderr };
}

/**
 * The object the Sensor's (one) trigger creates from the call, or undefined when the
 * filters drop the event; rejects with Argo Events' message when the trigger fails.
 */
export async function applySensorTrigger(sensor: unknown, call: WebhookCall): Promise<any> {
  const outcome = await runSensor(sensor, call);
  if (outcome.kind === 'filtered') return undefined;
  if (outcome.kind === 'failed') throw new Error(`Argo Events (${outcome.stage}): ${outcome.error}`);
  if (outcome.objects.length !== 1) throw new Error(`expected one trigger, the Sensor has ${outcome.objects.length}`);
  return outcome.objects[0];
}

function run(binary: string, stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
