// The binary /openapi/v2 (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf): the Swagger 2.0
// document as gnostic's openapi.v2.Document message, which kubectl decodes when it validates client-side.
// The message layout below lists only the fields we fill, with gnostic's field numbers
// (google/gnostic-models openapiv2/OpenAPIv2.proto). Vendor extensions travel as NamedAny{name, Any{yaml}}:
// readers YAML-decode that text, and JSON is YAML, so values are written as JSON.
import * as protobuf from 'protobufjs';

type Fields = Record<string, { id: number; type: string; rule?: 'repeated' }>;
const f = (id: number, type: string, repeated = false) => ({ id, type, ...(repeated ? { rule: 'repeated' as const } : {}) });
const oneof = (names: string[]) => ({ oneof: { oneof: names } });

const MESSAGES: Record<string, { fields: Fields; oneofs?: Record<string, { oneof: string[] }> }> = {
  Document: { fields: { swagger: f(1, 'string'), info: f(2, 'Info'), consumes: f(6, 'string', true), produces: f(7, 'string', true),
    paths: f(8, 'Paths'), definitions: f(9, 'Definitions'), security: f(12, 'SecurityRequirement', true),
    securityDefinitions: f(13, 'SecurityDefinitions') } },
  Info: { fields: { title: f(1, 'string'), version: f(2, 'string') } },
  Any: { fields: { yaml: f(2, 'string') } },
  NamedAny: { fields: { name: f(1, 'string'), value: f(2, 'Any') } },
  Definitions: { fields: { additionalProperties: f(1, 'NamedSchema', true) } },
  NamedSchema: { fields: { name: f(1, 'string'), value: f(2, 'Schema') } },
  Properties: { fields: { additionalProperties: f(1, 'NamedSchema', true) } },
  TypeItem: { fields: { value: f(1, 'string', true) } },
  ItemsItem: { fields: { schema: f(1, 'Schema', true) } },
  AdditionalPropertiesItem: { fields: { schema: f(1, 'Schema'), boolean: f(2, 'bool') }, oneofs: oneof(['schema', 'boolean']) },
  Schema: { fields: { _ref: f(1, 'string'), format: f(2, 'string'), description: f(4, 'string'), uniqueItems: f(16, 'bool'),
    required: f(19, 'string', true), enum: f(20, 'Any', true), additionalProperties: f(21, 'AdditionalPropertiesItem'),
    type: f(22, 'TypeItem'), items: f(23, 'ItemsItem'), properties: f(25, 'Properties'), vendorExtension: f(31, 'NamedAny', true) } },
  Paths: { fields: { path: f(2, 'NamedPathItem', true) } },
  NamedPathItem: { fields: { name: f(1, 'string'), value: f(2, 'PathItem') } },
  PathItem: { fields: { get: f(2, 'Operation'), put: f(3, 'Operation'), post: f(4, 'Operation'), delete: f(5, 'Operation'),
    patch: f(8, 'Operation'), parameters: f(9, 'ParametersItem', true) } },
  Operation: { fields: { tags: f(1, 'string', true), operationId: f(5, 'string'), produces: f(6, 'string', true),
    consumes: f(7, 'string', true), parameters: f(8, 'ParametersItem', true), responses: f(9, 'Responses'),
    schemes: f(10, 'string', true), vendorExtension: f(13, 'NamedAny', true) } },
  ParametersItem: { fields: { parameter: f(1, 'Parameter') }, oneofs: oneof(['parameter']) },
  Parameter: { fields: { bodyParameter: f(1, 'BodyParameter'), nonBodyParameter: f(2, 'NonBodyParameter') },
    oneofs: oneof(['bodyParameter', 'nonBodyParameter']) },
  BodyParameter: { fields: { name: f(2, 'string'), in: f(3, 'string'), required: f(4, 'bool'), schema: f(5, 'Schema') } },
  NonBodyParameter: { fields: { queryParameterSubSchema: f(3, 'QueryParameterSubSchema'), pathParameterSubSchema: f(4, 'PathParameterSubSchema') },
    oneofs: oneof(['queryParameterSubSchema', 'pathParameterSubSchema']) },
  QueryParameterSubSchema: { fields: { required: f(1, 'bool'), in: f(2, 'string'), name: f(4, 'string'), type: f(6, 'string'), uniqueItems: f(20, 'bool') } },
  PathParameterSubSchema: { fields: { required: f(1, 'bool'), in: f(2, 'string'), name: f(4, 'string'), type: f(5, 'string'), uniqueItems: f(19, 'bool') } },
  Responses: { fields: { responseCode: f(1, 'NamedResponseValue', true) } },
  NamedResponseValue: { fields: { name: f(1, 'string'), value: f(2, 'ResponseValue') } },
  ResponseValue: { fields: { response: f(1, 'Response') }, oneofs: oneof(['response']) },
  Response: { fields: { description: f(1, 'string'), schema: f(2, 'SchemaItem') } },
  SchemaItem: { fields: { schema: f(1, 'Schema') }, oneofs: oneof(['schema']) },
  SecurityRequirement: { fields: { additionalProperties: f(1, 'NamedStringArray', true) } },
  NamedStringArray: { fields: { name: f(1, 'string'), value: f(2, 'StringArray') } },
  StringArray: { fields: { value: f(1, 'string', true) } },
  SecurityDefinitions: { fields: { additionalProperties: f(1, 'NamedSecurityDefinitionsItem', true) } },
  NamedSecurityDefinitionsItem: { fields: { name: f(1, 'string'), value: f(2, 'SecurityDefinitionsItem') } },
  SecurityDefinitionsItem: { fields: { apiKeySecurity: f(2, 'ApiKeySecurity') }, oneofs: oneof(['apiKeySecurity']) },
  ApiKeySecurity: { fields: { type: f(1, 'string'), name: f(2, 'string'), in: f(3, 'string'), description: f(4, 'string') } },
};

let documentType: protobuf.Type | undefined;
/** The openapi.v2.Document message type (built once). */
export function documentMessageType(): protobuf.Type {
  if (!documentType) {
    const root = protobuf.Root.fromJSON({ nested: { openapi: { nested: { v2: { nested: MESSAGES } } } } });
    documentType = root.lookupType('openapi.v2.Document');
  }
  return documentType;
}

type Json = Record<string, any>;
const vendorExtensions = (o: Json) => Object.keys(o).filter(k => k.startsWith('x-'))
  .map(k => ({ name: k, value: { yaml: JSON.stringify(o[k]) } }));

function schemaMessage(s: Json): Json {
  const m: Json = {};
  if (s.$ref) m._ref = s.$ref;
  if (s.format) m.format = s.format;
  if (s.description) m.description = s.description;
  if (Array.isArray(s.required)) m.required = s.required;
  if (Array.isArray(s.enum)) m.enum = s.enum.map((v: unknown) => ({ yaml: JSON.stringify(v) }));
  if (s.type) m.type = { value: Array.isArray(s.type) ? s.type : [s.type] };
  if (s.items) m.items = { schema: [schemaMessage(s.items)] };
  if (s.additionalProperties !== undefined) {
    m.additionalProperties = typeof s.additionalProperties === 'object' ? { schema: schemaMessage(s.additionalProperties) } : { boolean: !!s.additionalProperties };
  }
  if (s.properties) m.properties = { additionalProperties: Object.entries(s.properties).map(([name, v]) => ({ name, value: schemaMessage(v as Json) })) };
  const ext = vendorExtensions(s);
  if (ext.length) m.vendorExtension = ext;
  return m;
}

function parameterMessage(p: Json): Json {
  if (p.in === 'body') return { parameter: { bodyParameter: { name: p.name, in: 'body', required: !!p.required, schema: schemaMessage(p.schema ?? {}) } } };
  const sub = { required: !!p.required, in: p.in, name: p.name, type: p.type, uniqueItems: !!p.uniqueItems };
  return { parameter: { nonBodyParameter: p.in === 'path' ? { pathParameterSubSchema: sub } : { queryParameterSubSchema: sub } } };
}

function operationMessage(o: Json): Json {
  return {
    tags: o.tags ?? [], operationId: o.operationId, produces: o.produces ?? [], consumes: o.consumes ?? [],
    parameters: (o.parameters ?? []).map(parameterMessage),
    responses: { responseCode: Object.entries(o.responses ?? {}).map(([code, r]) => ({ name: code, value: { response: {
      description: (r as Json).description ?? '', ...((r as Json).schema ? { schema: { schema: schemaMessage((r as Json).schema) } } : {}) } } })) },
    schemes: o.schemes ?? [],
    vendorExtension: vendorExtensions(o),
  };
}

/** Encode a Swagger 2.0 document (as built by buildV2Document) as gnostic's openapi.v2.Document. */
export function encodeV2Protobuf(doc: Json): Uint8Array {
  const msg: Json = {
    swagger: doc.swagger, info: { title: doc.info?.title ?? '', version: doc.info?.version ?? '' },
    paths: { path: Object.entries(doc.paths ?? {}).map(([name, item]) => {
      const value: Json = {};
      for (const verb of ['get', 'put', 'post', 'delete', 'patch']) if ((item as Json)[verb]) value[verb] = operationMessage((item as Json)[verb]);
      if ((item as Json).parameters) value.parameters = (item as Json).parameters.map(parameterMessage);
      return { name, value };
    }) },
    definitions: { additionalProperties: Object.entries(doc.definitions ?? {}).map(([name, s]) => ({ name, value: schemaMessage(s as Json) })) },
    security: (doc.security ?? []).map((req: Json) => ({ additionalProperties: Object.entries(req).map(([name, v]) => ({ name, value: { value: v as string[] } })) })),
    securityDefinitions: { additionalProperties: Object.entries(doc.securityDefinitions ?? {}).map(([name, d]) => ({ name, value: { apiKeySecurity: {
      type: (d as Json).type, name: (d as Json).name, in: (d as Json).in, description: (d as Json).description ?? '' } } })) },
  };
  const type = documentMessageType();
  return type.encode(type.fromObject(msg)).finish();
}

/** Decode the binary form back to a plain message object (for tests and debugging). */
export function decodeV2Protobuf(data: Uint8Array): Json {
  const type = documentMessageType();
  return type.toObject(type.decode(data), { arrays: true, defaults: false }) as Json;
}
