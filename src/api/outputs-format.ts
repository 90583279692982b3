/**
 * The termination message of the `outputs` sidecar, shared by collect-outputs (which
 * writes it) and the reconciler (which reads it into status.outputs). Pure: no I/O.
 *
 * Format: JSON `{"parameters":{name: value},"truncated":[names],"missing":[names]}`, at
 * most TERMINATION_MESSAGE_LIMIT bytes of UTF-8 (Kubernetes cuts longer messages, which
 * would leave invalid JSON). A name in `truncated` has a shortened value in `parameters`,
 * or none when even an empty value did not fit. `"*"` (never a valid parameter name)
 * stands for "every parameter not otherwise listed", used only when the names themselves
 * do not fit.
 */
import { TERMINATION_MESSAGE_LIMIT } from './constants.js';

export { TERMINATION_MESSAGE_LIMIT };

/** What the kubelet lets all the containers of a Pod report together; each gets an equal share. */
export const POD_TERMINATION_MESSAGES_LIMIT = 12 * 1024;

/**
 * The bytes one container can report in a Pod of `containers` containers (init containers,
 * sidecars included): the kubelet cuts each message to 12 KiB / containers, and to 4096.
 */
export function terminationMessageLimit(containers: number): number {
  return Math.min(TERMINATION_MESSAGE_LIMIT, Math.floor(POD_TERMINATION_MESSAGES_LIMIT / Math.max(1, containers)));
}

export interface TerminationMessage {
  readonly parameters: Readonly<Record<string, string>>;
  readonly truncated: readonly string[];
  readonly missing: readonly string[];
}

/** What the collector read, before packing. */
export interface CollectedOutputs {
  /** Values by name, in declaration order. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Parameters with no file and no default. */
  readonly missing?: readonly string[];
  /** Parameters whose value was already cut when read (the file was larger than the read cap). */
  readonly truncated?: readonly string[];
}

/** Stands for "all the others" when the list of names does not fit. */
export const ALL_OTHERS = '*';

export class TerminationMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminationMessageError';
  }
}

const encoder = new TextEncoder();
const byteLength = (s: string): number => encoder.encode(s).length;

export function formatTerminationMessage(message: TerminationMessage): string {
  return JSON.stringify(message);
}

/** The first `n` UTF-16 units of `s`, never ending in half a surrogate pair. */
function prefix(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

class Packer {
  private readonly values: Map<string, string>;
  private readonly truncated: Set<string>;
  private missing: readonly string[];
  /** Declaration order, which `truncated` follows. */
  private readonly order: readonly string[];

  constructor(input: CollectedOutputs, private readonly limit: number) {
    this.values = new Map(Object.entries(input.parameters));
    this.order = [...this.values.keys(), ...(input.truncated ?? [])];
    this.truncated = new Set(input.truncated ?? []);
    this.missing = [...(input.missing ?? [])];
  }

  message(): TerminationMessage {
    const truncated = [...this.truncated].sort((a, b) => this.order.indexOf(a) - this.order.indexOf(b));
    return { parameters: Object.fromEntries(this.values), truncated, missing: this.missing };
  }

  fits(): boolean {
    return byteLength(formatTerminationMessage(this.message())) <= this.limit;
  }

  /** Each character takes at least one byte, so a value longer than the limit cannot fit whole. */
  precut(): void {
    for (const [name, value] of this.values) {
      if (value.length > this.limit) {
        this.values.set(name, prefix(value, this.limit));
        this.truncated.add(name);
      }
    }
  }

  /** The value taking the most bytes; ties go to the first name in code-unit order, for determinism. */
  largest(): string | undefined {
    let best: { name: string; size: number } | undefined;
    for (const [name, value] of this.values) {
      const size = byteLength(value);
      if (!best || size > best.size || (size === best.size && name < best.name)) best = { name, size };
    }
    return best?.name;
  }

  /** Cuts one value to the longest prefix that makes the message fit, or drops it. */
  shorten(name: string): void {
    const value = this.values.get(name)!;
    this.truncated.add(name);
    const fitsWith = (n: number): boolean => {
      this.values.set(name, prefix(value, n));
      return this.fits();
    };
    if (!fitsWith(0)) {
      this.values.delete(name);
      return;
    }
    let lo = 0;
    let hi = value.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsWith(mid)) lo = mid;
      else hi = mid - 1;
    }
    this.values.set(name, prefix(value, lo));
  }

  /** Last resort when even the names do not fit: summarise the lists with "*". */
  collapse(): void {
    this.values.clear();
    this.truncated.clear();
    this.truncated.add(ALL_OTHERS);
    if (!this.fits()) this.missing = [ALL_OTHERS];
  }
}

/**
 * Packs collected values into a message of at most `limit` bytes: when they do not fit,
 * the largest values are shortened (or dropped) first, and every affected name is listed
 * in `truncated`. Deterministic for a given input.
 */
export function packOutputs(values: CollectedOutputs, limit: number = TERMINATION_MESSAGE_LIMIT): TerminationMessage {
  const packer = new Packer(values, limit);
  packer.precut();
  while (!packer.fits()) {
    const name = packer.largest();
    if (name === undefined) {
      packer.collapse();
      break;
    }
    packer.shorten(name);
  }
  return packer.message();
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Reads a termination message; throws TerminationMessageError when it is not one. */
export function parseTerminationMessage(text: string): TerminationMessage {
  if (text.trim() === '') throw new TerminationMessageError('the termination message is empty');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TerminationMessageError(`the termination message is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new TerminationMessageError('the termination message is not a JSON object');
  const { parameters, truncated = [], missing = [] } = data as Record<string, unknown>;
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new TerminationMessageError('the termination message has no "parameters" object');
  }
  const bad = Object.entries(parameters).find(([, v]) => typeof v !== 'string');
  if (bad) throw new TerminationMessageError(`parameter "${bad[0]}" in the termination message is not a string`);
  if (!isStringList(truncated)) throw new TerminationMessageError('"truncated" in the termination message is not a list of names');
  if (!isStringList(missing)) throw new TerminationMessageError('"missing" in the termination message is not a list of names');
  return { parameters: parameters as Record<string, string>, truncated, missing };
}
