/**
 * Helm expressions as marker strings. In Helm mode the operator's objects carry markers
 * (hex-encoded Helm template text) where a setting goes; after synthesis `renderHelmMarkers`
 * turns the YAML's markers into Helm template syntax.
 */
import { ApiObject } from 'cdk8s';

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const unhex = (code: string): string => Buffer.from(code, 'hex').toString('utf8');

/** A scalar replaced verbatim by `text`, e.g. `{{ .Values.replicas }}` (unquoted: ints and bools stay ints and bools). */
export const helmExpr = (text: string): string => `__HELMX_${hex(text)}__`;
/** As a map value: `key:` followed by `{{- text | nindent N }}`, e.g. `toYaml .Values.resources`. */
export const helmBlock = (text: string): string => `__HELMB_${hex(text)}__`;
/** As a map value: the key with `toYaml` of `text`, left out when `text` is empty (`{{- with text }}`). */
export const helmWith = (text: string): string => `__HELMW_${hex(text)}__`;
/** As a list item: the items of the list `text` in its place, none when it is empty (`{{- with text }}`), e.g. `.Values.ui.extraVolumes`. */
export const helmItems = (text: string): string => `__HELMI_${hex(text)}__`;
/** As a map key (with value ""): the lines of `text` spliced in at the key's indentation, e.g. `include "x.labels" .`. */
export const helmSplice = (text: string): string => `__HELMS_${hex(text)}__`;

/** The construct-metadata type under which an object's Helm condition is recorded. */
export const METADATA_KEY = 'kubeopencode.io/helm-if';

/** The Helm condition (e.g. `.Values.rbac.create`) that the object's template is wrapped in, if any. */
export function helmConditionOf(obj: ApiObject): string | undefined {
  return obj.node.metadata.find((m) => m.type === METADATA_KEY)?.data as string | undefined;
}

/**
 * Turns the markers in a YAML document (as `yaml` writes it, lineWidth 0) into Helm template
 * syntax. Throws if a marker is in a place it cannot be, or if the YAML holds a literal
 * `{{` that Helm would take for a template.
 */
export function renderHelmMarkers(yaml: string): string {
  if (yaml.includes('{{')) throw new Error('the manifest holds a literal "{{", which Helm would evaluate');
  return yaml.split('\n').flatMap(renderLine).join('\n');
}

/** The lines that replace one line of YAML. */
function renderLine(line: string): string[] {
  const indent = line.length - line.trimStart().length;
  return renderKeyedBlock(line, indent) ?? renderSplice(line, indent) ?? renderItems(line) ?? [renderScalars(line)];
}

/** `key: <helmBlock|helmWith marker>`: the key followed by the block; undefined if the line is not one. */
function renderKeyedBlock(line: string, indent: number): string[] | undefined {
  const keyed = /^(\s*)(- )?([^\s:]+): __HELM([BW])_([0-9a-f]+)__$/.exec(line);
  if (!keyed) return undefined;
  const [, , dash, key, kind, code] = keyed;
  // A `with` would leave the item's dash out when empty; a block always has its key.
  if (dash && kind === 'W') throw new Error(`an optional block cannot start a list item: ${line}`);
  const text = unhex(code);
  const pad = ' '.repeat(indent);
  const keyIndent = indent + (dash ? 2 : 0);
  if (kind === 'B') return [`${pad}${dash ?? ''}${key}:`, `{{- ${text} | nindent ${keyIndent + 2} }}`];
  return [`{{- with ${text} }}`, `${pad}${key}:`, `{{- toYaml . | nindent ${indent + 2} }}`, '{{- end }}'];
}

/** `<helmSplice marker>: ""`: the lines of the expression at the key's indentation; undefined if the line is not one. */
function renderSplice(line: string, indent: number): string[] | undefined {
  const splice = /^\s*__HELMS_([0-9a-f]+)__: (""|'')$/.exec(line);
  return splice ? [`{{- ${unhex(splice[1])} | nindent ${indent} }}`] : undefined;
}

/** `- <helmItems marker>`: the list's items at the dash's indentation; undefined if the line is not one. */
function renderItems(line: string): string[] | undefined {
  const item = /^(\s*)- __HELMI_([0-9a-f]+)__$/.exec(line);
  return item ? [`{{- with ${unhex(item[2])} }}`, `{{- toYaml . | nindent ${item[1].length} }}`, '{{- end }}'] : undefined;
}

/** The line with every helmExpr marker replaced by its expression; throws on any other marker. */
function renderScalars(line: string): string {
  const replaced = line.replace(/__HELMX_([0-9a-f]+)__/g, (_m, code: string) => unhex(code));
  if (/__HELM[A-Z]_/.test(replaced)) throw new Error(`a Helm marker in a place it cannot be: ${line}`);
  return replaced;
}
