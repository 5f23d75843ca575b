// Parses a request path into what it addresses, as upstream's RequestInfoFactory does.
import { errors } from '@mk8s/apimachinery';

export interface RequestInfo {
  isResource: boolean;
  group: string; version: string;
  namespace?: string; resource?: string; name?: string; subresource?: string;
  /** get | list | watch | create | update | patch | delete | deletecollection */
  verb: string;
  path: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter(Boolean).map(segment => {
    try { return decodeURIComponent(segment); } catch { throw errors.badRequest(`invalid URL escape in path segment ${JSON.stringify(segment)}`); }
  });
  const info: RequestInfo = { isResource: false, group: '', version: '', verb: method.toLowerCase(), path };
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) { info.version = parts[1]; rest = parts.slice(2); }
  else if (parts[0] === 'apis' && parts.length >= 3) { info.group = parts[1]; info.version = parts[2]; rest = parts.slice(3); }
  else return info;
  if (!rest.length) return info;
  info.isResource = true;
  // /namespaces/{ns}/{resource}/... addresses namespaced resources; /namespaces/{ns}[/{sub}] the namespace itself.
  // (status and finalize after a namespace name are the namespace's own subresources, as upstream)
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  [info.resource, info.name, info.subresource] = rest;
  if (rest.length > 3) info.subresource = rest.slice(2).join('/');
  const watch = query.get('watch');
  const isWatch = watch === '1' || watch === 'true';
  switch (method) {
    case 'GET': case 'HEAD':
      info.verb = info.name ? 'get' : isWatch ? 'watch' : 'list';
      if (info.name && isWatch) info.verb = 'watch';
      break;
    case 'POST': info.verb = 'create'; break;
    case 'PUT': info.verb = 'update'; break;
    case 'PATCH': info.verb = 'patch'; break;
    case 'DELETE': info.verb = info.name ? 'delete' : 'deletecollection'; break;
    default: info.verb = method.toLowerCase();
  }
  return info;
}
