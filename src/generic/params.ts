/**
 * A traced function's arguments by parameter name, so `redactKeys` (which match field names) reach
 * positional arguments: `charge(cardNumber, amount)` is recorded as `{ cardNumber, amount }`.
 *
 * The names come from the function's source text (Function.prototype.toString), read only for
 * simple signatures: plain names, `name = <simple default>` (a number, a word, a short string), and a
 * final `...rest`. Anything else
 * (destructuring, defaults with calls or literals that hold commas or brackets, comments inside
 * the list) gives up, and the arguments are recorded as before (one as itself, several as an
 * array). Minified code keeps parameters but renames them, so names there mean little.
 */

const SIMPLE_NAME = /^[A-Za-z_$][\w$]*$/;

/** Parameter names of a simple signature, or undefined. `...rest` comes back as `...rest`. */
export function parameterNames(fn: (...args: never[]) => unknown): string[] | undefined {
  let src: string;
  try {
    src = Function.prototype.toString.call(fn).trim();
  } catch {
    return undefined;
  }
  // Short string defaults (`sep = ', '` aside: no commas or escapes) are fine; they are blanked first.
  const list = paramList(src)?.replace(/'[^'\\,()]*'|"[^"\\,()]*"/g, '0');
  if (list === undefined) return undefined;
  if (list.trim() === '') return [];
  if (/[()[\]{}'"`/]/.test(list)) return undefined;
  const names: string[] = [];
  const parts = list.split(',').map((p) => p.trim());
  // A trailing comma is allowed: `(a, b,)`.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  for (const [i, part] of parts.entries()) {
    const rest = part.startsWith('...');
    const name = (rest ? part.slice(3) : part).split('=', 1)[0]!.trim();
    if (!SIMPLE_NAME.test(name) || (rest && (i !== parts.length - 1 || part.includes('=')))) return undefined;
    names.push(rest ? `...${name}` : name);
  }
  return names;
}

/** The text between the parentheses of the parameter list, or a lone arrow parameter. */
function paramList(src: string): string | undefined {
  // `x => ...` and `async x => ...`
  const arrow = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (arrow) return arrow[1];
  // function, async function, generator, arrow with parentheses, method shorthand (`name(a) {`, `async *name(a) {`).
  const head = /^(?:async\s*)?(?:function\s*\*?\s*[\w$]*\s*|\*?\s*(?:get\s+|set\s+|static\s+)?[\w$]*\s*|)\(([^)]*)\)/.exec(src);
  return head ? head[1] : undefined;
}

/**
 * What a traced call records as its input: one plain-object argument as itself (its keys are
 * already names), otherwise an object keyed by parameter name when the names are known, else one
 * argument as itself and several as an array.
 */
export function namedInput(names: readonly string[] | undefined, args: readonly unknown[]): unknown {
  if (args.length === 0) return undefined;
  if (args.length === 1 && isPlainObject(args[0])) return args[0];
  const fixed = names?.filter((n) => !n.startsWith('...'));
  const rest = names?.find((n) => n.startsWith('...'))?.slice(3);
  if (names && fixed && (args.length <= fixed.length || rest)) {
    const out: Record<string, unknown> = {};
    fixed.forEach((n, i) => {
      if (i < args.length) out[n] = args[i];
    });
    if (rest && args.length > fixed.length) out[rest] = args.slice(fixed.length);
    return out;
  }
  return args.length === 1 ? args[0] : [...args];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
