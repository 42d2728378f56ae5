/**
 * The JSON Schema of the broker config, generated from the valibot schema so editors and the loader agree.
 * scripts/gen-config-schema.mjs writes it to dist/config.schema.json at build time.
 */
import { toJsonSchema, type JsonSchema } from '@valibot/to-json-schema';
import { brokerConfigSchema } from './schema.js';

export function createConfigJsonSchema(): JsonSchema {
  const schema = toJsonSchema(brokerConfigSchema, {
    target: 'draft-07',
    // Describe what the file holds (e.g. ssl: 'on'), not what the loader turns it into.
    typeMode: 'input',
    errorMode: 'throw',
    overrideSchema: ({ valibotSchema, jsonSchema }) =>
      // Our strict objects are objectWithRest(never) so that every unknown key is reported; in JSON Schema
      // that is simply additionalProperties: false.
      valibotSchema.type === 'object_with_rest' ? { ...jsonSchema, additionalProperties: false } : undefined,
    overrideAction: ({ valibotAction, jsonSchema }) =>
      // Exact bind validation (port range, host syntax) has no JSON Schema form; the pattern covers the shape.
      valibotAction.type === 'check' ? jsonSchema : undefined,
  });
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'Midge broker configuration',
    description:
      "Midge's broker config file (YAML). aMQTT spellings (kebab-case keys, amqtt.* plugin class names, auth/topic-check) are accepted by the broker with a deprecation warning but are not part of this schema.",
    ...rest,
  };
}
