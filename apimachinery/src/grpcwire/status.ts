// gRPC status codes, the typed error a call fails with, and how HTTP/2 outcomes map onto codes
// (https://github.com/grpc/grpc/blob/master/doc/statuscodes.md, doc/PROTOCOL-HTTP2.md, doc/http-grpc-status-mapping.md).

export const Code = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = number;

const CODE_NAMES: string[] = [];
for (const [name, n] of Object.entries(Code)) CODE_NAMES[n] = name;
export const codeName = (code: number): string => CODE_NAMES[code] ?? `CODE_${code}`;

/** Trailing (or leading) metadata of a call: `-bin` keys decoded from base64 to bytes. */
export type GrpcMetadata = Record<string, string | Buffer>;

/** A call that ended with a status other than OK. The message reads like grpc-js's: `14 UNAVAILABLE: details`. */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  constructor(readonly code: GrpcCode, readonly details: string, readonly metadata: GrpcMetadata = {}) {
    super(`${code} ${codeName(code)}: ${details}`);
  }
  /** The serialized google.rpc.Status a server attached, if any. */
  get statusDetails(): Buffer | undefined {
    const d = this.metadata['grpc-status-details-bin'];
    return Buffer.isBuffer(d) ? d : undefined;
  }
}

/** Decodes grpc-message's percent-encoding; malformed escapes stay as they are (the spec asks for leniency). */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i], 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Percent-encodes a grpc-message value: bytes outside printable ASCII, and '%' itself. */
export function percentEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Header block values as metadata: pseudo-headers and transport headers dropped, `-bin` values decoded. */
export function toMetadata(headers: Record<string, string | string[] | number | undefined>): GrpcMetadata {
  const md: GrpcMetadata = {};
  for (const key of Object.keys(headers)) {
    if (key.startsWith(':') || key === 'content-type' || key === 'grpc-status' || key === 'grpc-message') continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(',') : String(raw);
    md[key] = key.endsWith('-bin') ? Buffer.from(value, 'base64') : value;
  }
  return md;
}

/** The call's status from a header block carrying grpc-status (trailers, or a trailers-only response). */
export function statusFromHeaders(headers: Record<string, string | string[] | number | undefined>): GrpcError | null {
  const raw = headers['grpc-status'];
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  if (code === 0) return null;
  const msg = headers['grpc-message'];
  const details = msg === undefined ? '' : percentDecode(Array.isArray(msg) ? msg.join(',') : String(msg));
  if (!Number.isInteger(code) || code < 0) return new GrpcError(Code.UNKNOWN, `invalid grpc-status ${String(raw)}: ${details}`, toMetadata(headers));
  return new GrpcError(code, details, toMetadata(headers));
}

/** A non-200 HTTP response without grpc-status (a proxy or a non-gRPC server answered). */
export function statusFromHttp(httpStatus: number): GrpcError {
  const code = httpStatus === 400 ? Code.INTERNAL : httpStatus === 401 ? Code.UNAUTHENTICATED
    : httpStatus === 403 ? Code.PERMISSION_DENIED : httpStatus === 404 ? Code.UNIMPLEMENTED
      : [429, 502, 503, 504].includes(httpStatus) ? Code.UNAVAILABLE : Code.UNKNOWN;
  return new GrpcError(code, `received HTTP status ${httpStatus} instead of a gRPC response`);
}

/** A stream reset by the peer without a status (RST_STREAM error codes, RFC 9113 section 7). */
export function statusFromRstCode(rstCode: number): GrpcError {
  switch (rstCode) {
    case 7: return new GrpcError(Code.UNAVAILABLE, 'stream refused by the server (REFUSED_STREAM)');
    case 8: return new GrpcError(Code.CANCELLED, 'stream cancelled by the server (RST_STREAM CANCEL)');
    case 11: return new GrpcError(Code.RESOURCE_EXHAUSTED, 'stream reset by the server (ENHANCE_YOUR_CALM)');
    case 12: return new GrpcError(Code.PERMISSION_DENIED, 'stream reset by the server (INADEQUATE_SECURITY)');
    default: return new GrpcError(Code.INTERNAL, `stream reset by the server with HTTP/2 error code ${rstCode}`);
  }
}
