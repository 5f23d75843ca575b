// The four PATCH types and server-side apply, as pure functions over decoded JSON objects.
export { applyJsonPatch, parsePointer, MAX_JSON_PATCH_OPERATIONS } from './jsonpatch';
export { applyMergePatch, createMergePatch } from './mergepatch';
export { applyStrategicMergePatch } from './strategicpatch';
export {
  serverSideApply, trackUpdate, conflictError, defaultResetFields, BEFORE_FIRST_APPLY,
  type ServerSideApplyArgs, type ServerSideApplyResult, type TrackUpdateArgs,
} from './ssa';
export { type ManagedFieldsEntry, type ManagedFieldsOperation, decodeManagedFields, encodeManagedFields } from './managedfields';
export { FieldSet, pathToString } from './fieldpath';
export { toFieldSet, compareValues as compareFields, mergeValues as mergeApplied } from './typed';
export { PatchApplyError, PatchServerError, StrategicMergeUnsupportedError } from './errors';
