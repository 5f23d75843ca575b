// How mkctl fails: a client-side problem is `error: <message>`; an API error prints its Status the way
// kubectl does (`Error from server (NotFound): pods "x" not found`). Never a stack trace.
import { StatusError } from '@mk8s/apimachinery';

/** A mistake on the user's side (bad flag, bad file, unknown kind): printed as `error: <message>`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}

/** Reasons kubectl names in `Error from server (<Reason>)`; others print without a reason. */
function serverPrefix(e: StatusError): string {
  return e.reason ? `Error from server (${e.reason})` : 'Error from server';
}

/** The one line (or few lines) a failure prints on stderr. `context` names the file/object for writes. */
export function formatError(e: unknown, context?: string): string {
  if (e instanceof CliError) return `error: ${e.message}`;
  if (e instanceof StatusError) {
    if (e.code === 503 && /^apiserver unreachable/.test(e.message)) return `error: ${connectionMessage(e.message)}`;
    if (e.code === 504 && /timed out$/.test(e.message)) return `error: ${e.message}`;
    return `${serverPrefix(e)}: ${context ? `${context}: ` : ''}${e.message}`;
  }
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}

let server = '';
/** The server URL, for connection errors. */
export function setServerForErrors(url: string): void { server = url; }

function connectionMessage(msg: string): string {
  if (/ECONNREFUSED/.test(msg)) {
    const hostPort = server ? new URL(server).host : 'the server';
    return `The connection to the server ${hostPort} was refused - did you specify the right host or port?`;
  }
  return msg;
}
