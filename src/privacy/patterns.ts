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
  /** A literal every match contains (or a list: one of them): text without it is skipped cheaply. */
  hint?: string | readonly string[];
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
  const digits = match.replace(/[ .-]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhn(digits);
}

/** An international number (+CC ...) has 8 to 15 digits in all (E.164 allows 15). */
function isInternationalPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits >= 8 && digits <= 15;
}

function hasHint(text: string, hint: string | readonly string[]): boolean {
  return typeof hint === 'string' ? text.includes(hint) : hint.some((h) => text.includes(h));
}

/** Letters and digits of any script (emails with non-ASCII local parts and domains, RFC 6531). */
const EMAIL_LOCAL = String.raw`[\p{L}\p{M}\p{N}._%+-]{1,64}`;
const EMAIL_LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?`;
/** Around a quoted name: `"SecretAccessKey": "`, `aws_secret_access_key = `, and the same escaped inside a JSON string (`\"SessionToken\":\"`). */
const NAMED_VALUE = String.raw`\\{0,3}["']?\s*[:=]\s*\\{0,3}["']?`;

/** Order matters: specific secrets before the generic shapes that would also match them. */
export const DEFAULT_PATTERNS: readonly RedactionPattern[] = [
  // PEM (PKCS#1/#8, EC, OpenSSH, encrypted) and PGP (`PRIVATE KEY BLOCK`); a block cut short (no END) is redacted to the end.
  {
    name: 'private_key',
    hint: 'PRIVATE KEY',
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { name: 'anthropic_key', hint: 'sk-ant-', pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}/g },
  { name: 'openai_key', hint: 'sk-', pattern: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g },
  { name: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  {
    // Next to its name, also as JSON (`"SecretAccessKey": "…"` in STS / AWS CLI output) and as JSON inside a JSON string.
    name: 'aws_secret_key',
    pattern: new RegExp(String.raw`((?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret)${NAMED_VALUE})([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`, 'gi'),
    group: 2,
  },
  {
    // STS temporary credentials: `"SessionToken": "IQoJb3JpZ2luX2Vj…"` (hundreds of base64 characters).
    name: 'aws_session_token',
    pattern: new RegExp(String.raw`((?:aws_?session_?token|session_?token|aws_?security_?token|security_?token)${NAMED_VALUE})([A-Za-z0-9/+=]{16,4096})(?![A-Za-z0-9/+=])`, 'gi'),
    group: 2,
  },
  { name: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/g },
  { name: 'slack_token', hint: 'xox', pattern: /(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: 'google_api_key', hint: 'AIza', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: 'jwt', hint: 'eyJ', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'bearer', hint: 'earer', pattern: /(\b[Bb]earer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/g, group: 2 },
  // Bounded quantifiers (RFC limits: local part 64, label 63) keep the scan linear on hostile text.
  // Any script (jörg@bücher.de), and URL-encoded (`jane%40example.com`).
  {
    name: 'email',
    hint: ['@', '%40'],
    pattern: new RegExp(String.raw`${EMAIL_LOCAL}(?:@|%40)(?:${EMAIL_LABEL}\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}-])`, 'gu'),
  },
  { name: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { name: 'card', pattern: /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d])/g, accept: isCard },
  // With dots only in card groupings (4-4-4-4…, Amex 4-6-5), so decimals like 3.14159265358979 survive.
  { name: 'card', hint: '.', pattern: /(?<![\d.])(?:\d{4}(?:\.\d{4}){2}\.\d{1,7}|\d{4}\.\d{6}\.\d{4,5})(?![\d]|\.\d)/g, accept: isCard },
  {
    name: 'phone',
    // +CC and separators, (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567; E.164.
    pattern: /(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])|(?<![\w+])\+\d{8,15}\b/g,
  },
  {
    name: 'phone',
    // International, grouped as countries write them: +44 20 7946 0958, +49 30 12345678, +33 1 23 45 67 89,
    // +81 3-1234-5678; 8 to 15 digits in all.
    // Groups after the country code are separated, so a digit run is never split two ways (linear).
    pattern: /(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,5}\)[ .-]?\d{1,8})?(?:[ .-]\d{1,8}){1,6}(?![\w])/g,
    accept: isInternationalPhone,
  },
  {
    name: 'phone',
    // A bare 10-digit North American number (5551234567 style: area code and exchange start 2-9).
    // Only in text: JSON numbers are never phones, and 10-digit Unix times (1xxxxxxxxx until 2033)
    // and digit runs inside longer numbers, words, decimals or ids are left alone.
    pattern: /(?<![\w.+-])[2-9]\d{2}[2-9]\d{6}(?![\w]|[.:-]\d)/g,
  },
];

/** Replaces every match of every pattern; returns the same string when nothing matched. */
export function redactText(text: string, patterns: readonly RedactionPattern[] = DEFAULT_PATTERNS): string {
  let out = text;
  for (const p of patterns) {
    if (p.hint !== undefined && !hasHint(out, p.hint)) continue;
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
