import { Invalid } from '../errors.js';

/**
 * Webhook payload templates (Quay's JSONTemplate): a JSON document whose strings may contain
 * `${path}` expressions evaluated against the event's payload. A string that is exactly one
 * expression becomes the value found (of any JSON type, null when nothing is found); inside longer
 * strings a value is written as text, several values joined by commas, nothing as "(none)".
 *
 * Paths are the common subset of JSONPath that templates use: `$` (optional), field names joined
 * by dots, `[n]` indexes and `*` / `[*]` wildcards, e.g. `${updated_tags[0]}` or
 * `${vulnerability.priority}`.
 */

const INLINE_EXPRESSION = /\$\{([^}]*)\}/g;
const WHOLE_EXPRESSION = /^\$\{([^}]*)\}$/;
const MISSING = '(none)';

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'any' };

function compilePath(expression: string): Step[] {
  let rest = expression.trim();
  if (rest === '') throw new Invalid('input', 'Invalid webhook template: empty expression');
  if (rest.startsWith('$')) rest = rest.slice(1);
  const steps: Step[] = [];
  const token = /^(?:\.?([A-Za-z_][A-Za-z0-9_-]*)|\.?\*|\[(\d+)\]|\[\*\])/;
  while (rest !== '') {
    const match = token.exec(rest);
    if (!match) throw new Invalid('input', `Invalid webhook template: cannot read the expression \`${expression}\``);
    if (match[1] !== undefined) steps.push({ kind: 'field', name: match[1] });
    else if (match[2] !== undefined) steps.push({ kind: 'index', index: Number(match[2]) });
    else steps.push({ kind: 'any' });
    rest = rest.slice(match[0].length);
  }
  return steps;
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.values(value);
  return [];
}

function follow(values: unknown[], step: Step): unknown[] {
  const next: unknown[] = [];
  for (const value of values) {
    if (step.kind === 'any') next.push(...children(value));
    else if (step.kind === 'index') {
      if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
    } else if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, step.name)) {
      next.push((value as Record<string, unknown>)[step.name]);
    }
  }
  return next;
}

/** What the expression finds: undefined for nothing, the value for one match, an array for several. */
function evaluate(expression: string, data: unknown): unknown {
  const found = compilePath(expression).reduce(follow, [data]);
  if (found.length === 0) return undefined;
  return found.length === 1 ? found[0] : found;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return MISSING;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function processString(text: string, data: unknown): unknown {
  const whole = WHOLE_EXPRESSION.exec(text);
  if (whole) return evaluate(whole[1]!, data) ?? null;
  return text.replace(INLINE_EXPRESSION, (_match, expression: string) => asText(evaluate(expression, data)));
}

function applyTo(node: unknown, data: unknown): unknown {
  if (typeof node === 'string') return processString(node, data);
  if (Array.isArray(node)) return node.map((item) => applyTo(item, data));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [asText(processString(key, data)), applyTo(value, data)]));
  }
  return node;
}

/** Parses and checks a template; throws Invalid when it is not JSON or has an unreadable expression. */
export function parseJsonTemplate(template: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(template);
  } catch {
    throw new Invalid('input', 'Invalid webhook template: it is not valid JSON');
  }
  applyTo(parsed, {});
  return parsed;
}

/** The payload the template produces for `data`. */
export function applyJsonTemplate(template: unknown, data: unknown): unknown {
  return applyTo(template, data);
}
