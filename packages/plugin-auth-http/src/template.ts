/**
 * Request templates: `${name}` placeholders in the URL, header values and body, filled from the
 * request being decided. One syntax for every place (EMQX's), so a config reads the same everywhere.
 */

/** Every placeholder a template may use. An unknown one is a config error, not an empty string. */
export const PLACEHOLDERS = [
  'clientid',
  'username',
  'password',
  'topic',
  'action',
  'qos',
  'listener',
  'peerhost',
  'peerport',
  'protocol',
] as const;

export type Placeholder = (typeof PLACEHOLDERS)[number];

/** The values for one request; absent ones (no username, no topic at CONNECT) render as ''. */
export type TemplateValues = Partial<Record<Placeholder, string>>;

const PATTERN = /\$\{([^}]*)\}/g;
const KNOWN: ReadonlySet<string> = new Set(PLACEHOLDERS);

/** The placeholders in `text` that do not exist, for config validation. */
export function unknownPlaceholders(text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(PATTERN)) if (!KNOWN.has(m[1] as string)) bad.push(m[0]);
  return bad;
}

/**
 * Fills the placeholders of `text`; `encode` escapes each inserted value for where it goes (URL
 * components are percent-encoded; JSON bodies are escaped by serializing afterwards, so identity there).
 */
export function render(text: string, values: TemplateValues, encode: (value: string) => string = (s) => s): string {
  return text.replace(PATTERN, (_, name: string) => encode(values[name as Placeholder] ?? ''));
}

/** A JSON body template: objects and arrays are walked, every string is rendered, other values kept. */
export type BodyTemplate = string | number | boolean | null | readonly BodyTemplate[] | { [key: string]: BodyTemplate };

export function renderBody(template: BodyTemplate, values: TemplateValues): unknown {
  if (typeof template === 'string') return render(template, values);
  if (Array.isArray(template)) return template.map((t: BodyTemplate) => renderBody(t, values));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(template)) out[k] = renderBody(t, values);
    return out;
  }
  return template;
}

/** Every string in a body template, for checking its placeholders. */
export function bodyStrings(template: BodyTemplate): string[] {
  if (typeof template === 'string') return [template];
  if (Array.isArray(template)) return template.flatMap((t: BodyTemplate) => bodyStrings(t));
  if (template !== null && typeof template === 'object') return Object.values(template).flatMap(bodyStrings);
  return [];
}
