/**
 * What `AMS_REDACT` finds in text: PII (email, phone, payment card, US SSN) and secrets
 * (Anthropic / OpenAI / AWS keys, bearer tokens, and a few other well-known token shapes).
 * Each match becomes `[REDACTED:<name>]`, so a reader still sees that something was there.
 *
 * Every pattern runs in time linear in the text (no unbounded backtracking), so hostile or huge
 * values cannot stall the writer: token patterns start only at a token boundary (lookbehind) and
 * open-ended runs are bounded.
 *
 * The patterns lean towards catching: a false positive costs a redacted word, a miss leaks a secret.
 * Payment cards are Luhn-checked so ordinary long numbers (ids, timestamps) survive.
 */

export interface RedactionPattern {
  /** Shown in the marker: `[REDACTED:<name>]`. */
  name: string;
  /** Must be global (`g`). */
  pattern: RegExp;
  /** A literal every match contains: text without it is skipped cheaply. */
  hint?: string;
  /** Optional check on a match; return false to keep the text. */
  accept?(match: string): boolean;
  /**
   * Index of the capture group holding the secret, when the pattern also matches context around
   * it (e.g. `aws_secret_access_key = <secret>`); the rest of the match is kept.
   */
  group?: number;
}

export const redactedMarker = (name: string) => `[REDACTED:${name}]`;

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function isCard(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhn(digits);
}

/** Order matters: specific secrets before the generic shapes that would also match them. */
export const DEFAULT_PATTERNS: readonly RedactionPattern[] = [
  { name: 'private_key', hint: 'PRIVATE KEY', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g },
  { name: 'anthropic_key', hint: 'sk-ant-', pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}/g },
  { name: 'openai_key', hint: 'sk-', pattern: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g },
  { name: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  {
    name: 'aws_secret_key',
    pattern: /((?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret)["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 2,
  },
  { name: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { name: 'slack_token', hint: 'xox', pattern: /(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: 'google_api_key', hint: 'AIza', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'jwt', hint: 'eyJ', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'bearer', hint: 'earer', pattern: /(\b[Bb]earer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/g, group: 2 },
  // Bounded quantifiers (RFC limits: local part 64, label 63) keep the scan linear on hostile text.
  { name: 'email', hint: '@', pattern: /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g },
  { name: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { name: 'card', pattern: /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d])/g, accept: isCard },
  {
    name: 'phone',
    // +CC and separators, (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567; E.164.
    pattern: /(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])|(?<![\w+])\+\d{8,15}\b/g,
  },
];

/** Replaces every match of every pattern; returns the same string when nothing matched. */
export function redactText(text: string, patterns: readonly RedactionPattern[] = DEFAULT_PATTERNS): string {
  let out = text;
  for (const p of patterns) {
    if (p.hint !== undefined && !out.includes(p.hint)) continue;
    p.pattern.lastIndex = 0;
    if (!p.pattern.test(out)) continue;
    p.pattern.lastIndex = 0;
    out = out.replace(p.pattern, (match: string, ...groups: unknown[]) => {
      if (p.accept && !p.accept(match)) return match;
      if (p.group !== undefined) {
        const secret = groups[p.group - 1];
        if (typeof secret !== 'string') return redactedMarker(p.name);
        const idx = match.lastIndexOf(secret);
        return match.slice(0, idx) + redactedMarker(p.name) + match.slice(idx + secret.length);
      }
      return redactedMarker(p.name);
    });
  }
  return out;
}

/** A number that is a Luhn-valid card number (a card stored as a JSON number). */
export function isCardNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1e12 && isCard(String(n));
}
