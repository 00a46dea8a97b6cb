// A small OpenAPI 3.0 generator over server.table() and joi's describe(): the
// document cannot drift from the routes because it is made from them.
import Joi from 'joi';
import type { Server } from '@hapi/hapi';
import * as S from '../../schemas.ts';

type JsonSchema = Record<string, unknown>;
interface Description {
  type: string;
  flags?: Record<string, any>;
  keys?: Record<string, Description>;
  rules?: { name: string; args?: Record<string, any> }[];
  allow?: unknown[];
  items?: Description[];
  patterns?: { regex?: string; schema?: Description; rule: Description }[];
  matches?: { schema?: Description }[];
}

/** Routes left out of the document: the PWA's static files and SPA fallback. */
export const UNDOCUMENTED_PATHS = new Set(['/{file*}']);

export interface RouteDocs {
  responses?: Record<number, Joi.Schema | string>;
  /** The request body to document when the route validates less with joi (a parser checks the rest). */
  payload?: Joi.Schema;
}

function regexSource(regex: string): string {
  const m = /^\/(.*)\/[a-z]*$/s.exec(regex);
  return m ? m[1]! : regex;
}

export function toJsonSchema(d: Description): JsonSchema {
  const flags = d.flags ?? {};
  const out: JsonSchema = {};
  const only = flags.only === true;
  const allow = (d.allow ?? []).filter((v) => v !== null);
  const nullable = (d.allow ?? []).includes(null);
  switch (d.type) {
    case 'object': {
      out.type = 'object';
      if (d.keys) {
        const properties: Record<string, JsonSchema> = {};
        const required: string[] = [];
        for (const [k, v] of Object.entries(d.keys)) {
          properties[k] = toJsonSchema(v);
          if (v.flags?.presence === 'required') required.push(k);
        }
        out.properties = properties;
        if (required.length) out.required = required;
      }
      if (d.patterns?.length) out.additionalProperties = toJsonSchema(d.patterns[0]!.rule);
      else if (d.keys) out.additionalProperties = flags.unknown === true;
      break;
    }
    case 'string': {
      out.type = 'string';
      for (const r of d.rules ?? []) {
        if (r.name === 'min') out.minLength = r.args?.limit;
        if (r.name === 'max') out.maxLength = r.args?.limit;
        if (r.name === 'length') out.minLength = out.maxLength = r.args?.limit;
        if (r.name === 'pattern' && r.args?.regex) out.pattern = regexSource(String(r.args.regex));
      }
      break;
    }
    case 'number': {
      out.type = (d.rules ?? []).some((r) => r.name === 'integer') ? 'integer' : 'number';
      for (const r of d.rules ?? []) {
        if (r.name === 'min') out.minimum = r.args?.limit;
        if (r.name === 'max') out.maximum = r.args?.limit;
      }
      break;
    }
    case 'boolean':
      out.type = 'boolean';
      break;
    case 'date':
      out.type = 'string';
      out.format = 'date-time';
      break;
    case 'array': {
      out.type = 'array';
      out.items = d.items?.length ? toJsonSchema(d.items[0]!) : {};
      for (const r of d.rules ?? []) {
        if (r.name === 'min') out.minItems = r.args?.limit;
        if (r.name === 'max') out.maxItems = r.args?.limit;
      }
      break;
    }
    case 'alternatives':
      out.oneOf = (d.matches ?? []).filter((m) => m.schema).map((m) => toJsonSchema(m.schema!));
      break;
    default:
      break;
  }
  if (only && allow.length) out.enum = allow;
  if (nullable) out.nullable = true;
  if (flags.description) out.description = flags.description;
  if (flags.label) out.title = flags.label;
  if (flags.default !== undefined && typeof flags.default !== 'function') out.default = flags.default;
  return out;
}

const schemaOf = (s: Joi.Schema) => toJsonSchema(s.describe() as Description);

const ERROR = { $ref: '#/components/schemas/Error' };

export function generateOpenApi(server: Server): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const routes = server.table().filter((r) => !UNDOCUMENTED_PATHS.has(r.path));
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const settings = route.settings;
    const validate = (settings.validate ?? {}) as { params?: Joi.Schema; query?: Joi.Schema; payload?: Joi.Schema };
    const docs = ((settings.plugins as Record<string, unknown> | undefined)?.openapi ?? {}) as RouteDocs;
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', validate.params], ['query', validate.query]] as const) {
      if (!schema || !Joi.isSchema(schema)) continue;
      const d = schema.describe() as Description;
      for (const [name, v] of Object.entries(d.keys ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || v.flags?.presence === 'required', schema: toJsonSchema(v) });
      }
    }
    const auth = settings.auth as unknown as false | { mode?: string } | undefined;
    const authRequired = auth !== false && auth?.mode !== 'optional';
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(docs.responses ?? {})) {
      const code = Number(status);
      if (typeof doc === 'string') {
        responses[status] = code < 300 && code !== 204
          ? { description: doc }
          : code === 204 ? { description: doc } : { description: `error codes: ${doc}`, content: { 'application/json': { schema: ERROR } } };
      } else {
        responses[status] = { description: 'success', content: { 'application/json': { schema: schemaOf(doc) } } };
      }
    }
    if (validate.params || validate.query || validate.payload) {
      responses['400'] ??= { description: 'error codes: invalid_request, invalid_json', content: { 'application/json': { schema: ERROR } } };
    }
    if (authRequired) responses['401'] = { description: 'error codes: unauthorized', content: { 'application/json': { schema: ERROR } } };
    if (Object.keys(responses).length === 0) responses['200'] = { description: 'success' };
    const operation: Record<string, unknown> = {
      operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+/g, '_')}`,
      summary: settings.description,
      tags: (settings.tags ?? []).filter((t) => t !== 'api'),
      parameters,
      responses,
    };
    const payloadDoc = docs.payload ?? validate.payload;
    if (payloadDoc && Joi.isSchema(payloadDoc)) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(payloadDoc) } } };
    }
    if (authRequired) operation.security = [{ bearer: [] }];
    (paths[route.path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'MessageHub sync service',
      version: '1',
      description: 'Stores and relays ciphertext and signed records; see sync-service/API.md for what each route means.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: '256-bit opaque token from /api/v1/auth/login' } },
      schemas: {
        Error: schemaOf(S.errorBody),
        Envelope: schemaOf(S.envelope),
        EpochRecord: schemaOf(S.epochRecord),
        PublicIdentity: schemaOf(S.publicIdentity),
      },
    },
    'x-websocket': {
      path: '/api/v1/ws',
      description: 'Realtime pushes: send {type:"auth", token, cursors, until?} first, then {type:"subscribe", after, cursors, until?} windows (THREATS L3); see API.md. The Origin header must be allowed.',
    },
  };
}
