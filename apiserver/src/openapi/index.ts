// OpenAPI documents served by the apiserver (/openapi/v2, /openapi/v3): mount openapiHandler(resources).
export { openapiHandler, negotiate, parseAccept } from './handler';
export {
  buildGroupVersionDocument, buildDiscoveryDocument, buildV3Documents, buildV3Index, buildV2Document,
  contentHash, definitionResolver, reachableDefinitions, renderSchema, groupVersions,
  type OpenAPIOptions, type V3Documents,
} from './documents';
export { encodeV2Protobuf, decodeV2Protobuf, documentMessageType } from './protobuf';
export {
  resourcePaths, groupVersionPaths, discoveryPaths, groupIdentifier, groupTag, gvKey, gvPrefix,
  PATCH_CONTENT_TYPES, type Operation, type PathItem, type Param, type GVK,
} from './operations';
