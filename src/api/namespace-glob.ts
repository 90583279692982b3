/**
 * allowedNamespaces entries: a namespace name, or a minimatch glob of one. An entry that can
 * never match a namespace (a character no namespace has, an unclosed `[`) is almost always a
 * typo that would silently lock every other namespace out, so the API server refuses it.
 *
 * The same regular expressions run in the CRD's CEL rules (RE2) and here (JavaScript); they
 * use only syntax both share.
 */
import { Rule } from './schema.js';

/** Characters of a namespace name (a-z, 0-9, -) and of glob syntax. */
const CHARS = '^[a-z0-9*?\\[\\]!{},-]+$';

const ATOM = '[a-z0-9*?-]';
/** `[abc]`, `[a-z]`, `[!a]`: a non-empty character class, closed. */
const CLASS = '\\[!?[a-z0-9-]+\\]';
const PART = `(?:${ATOM}|${CLASS})`;
/** `{a,b}`: alternatives, at least two, closed, not nested. */
const BRACES = `\\{${PART}*(?:,${PART}*)+\\}`;
/** An optional leading `!` (negation), then atoms, classes and alternatives. */
const SHAPE = `^!?(?:${PART}|${BRACES})+$`;

/** A regular expression as a CEL single-quoted string literal. */
const celString = (re: string): string => `'${re.replace(/\\/g, '\\\\')}'`;

export const namespaceGlobRules: Rule[] = [
  {
    rule: `self.matches(${celString(CHARS)})`,
    message: 'must be a namespace name or a glob of one, such as dev-* or staging: only a-z, 0-9, - and the glob characters * ? [ ] { } , ! may appear',
    holds: (g: string) => new RegExp(CHARS).test(g),
  },
  {
    // Reported only when the characters are right, so that one mistake gives one message.
    rule: `!self.matches(${celString(CHARS)}) || self.matches(${celString(SHAPE)})`,
    message: 'is not a glob that can match a namespace: check for an unclosed [ or {, an empty [], a {} without a comma, or a ! that is not first',
    holds: (g: string) => !new RegExp(CHARS).test(g) || new RegExp(SHAPE).test(g),
  },
];

/** Why `glob` can never match a namespace, or undefined when it can. */
export function namespaceGlobProblem(glob: string): string | undefined {
  return namespaceGlobRules.find((r) => !r.holds(glob))?.message;
}
