// The syntax resource.ParseQuantity accepts: a signed decimal number and an optional suffix (binary SI "Ki",
// decimal SI "k"/"m"/..., or a decimal exponent "e3"). Canonical re-formatting is left to the resource code.

import { ProtoError } from './wire';

const QUANTITY_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;

export function checkQuantity(text: string): string {
  if (!QUANTITY_RE.test(text)) {
    throw new ProtoError(`quantity ${JSON.stringify(text)} must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  }
  return text;
}
