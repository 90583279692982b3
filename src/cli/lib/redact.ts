/**
 * Keeps secrets out of messages: the values a command read from its Secret, and the user
 * information of URLs (an HTTPS URL's user part is often a token).
 */

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]+)@/gi;

/** A URL for messages: HTTP(S) user information hidden entirely, other schemes keep the user name. */
export function scrubUrl(text: string): string {
  return text.replace(URL_USERINFO, (_all, scheme: string, userinfo: string) => {
    if (/^https?:\/\/$/i.test(scheme)) return `${scheme}***@`;
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

/** Secrets shorter than this are not searched for: they would mangle every message. */
const MIN_SECRET_LENGTH = 3;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers a secret value (and its trimmed form) so that messages never show it. */
  add(secret: string | undefined): void {
    for (const s of [secret, secret?.trim()]) {
      if (s && s.length >= MIN_SECRET_LENGTH) this.secrets.add(s);
    }
  }

  scrub(message: string): string {
    let out = scrubUrl(message);
    // Longest first, so that a secret containing another one is hidden whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}
