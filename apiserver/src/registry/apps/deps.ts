// The shared core validation/defaulting the group strategies rely on (ObjectMeta, pod templates, label selectors,
// pod defaults), re-exported from the registry's validation module so each strategy imports from one place.
export {
  defaultPodSpec, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSLabel,
  nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, validatePodSpec,
  validatePodTemplateSpec,
} from '../validation';
