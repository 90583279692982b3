/**
 * Hash routes (`#/tasks`, `#/tasks/NS/NAME`, `#/agents`, `#/new`): the server serves one page,
 * so the UI works unchanged under any path prefix a proxy gives it.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'tasks' }
  | { readonly page: 'task'; readonly namespace: string; readonly name: string }
  | { readonly page: 'agents' }
  | { readonly page: 'new' };

export function parseRoute(hash: string): Route {
  const [path] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'tasks' && parts.length === 3) return { page: 'task', namespace: parts[1], name: parts[2] };
  if (parts[0] === 'agents') return { page: 'agents' };
  if (parts[0] === 'new') return { page: 'new' };
  return { page: 'tasks' };
}

export const taskHref = (namespace: string, name: string): string => `#/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

export function navigate(hash: string): void {
  location.hash = hash;
}

let navigated = false;

/** Whether the user moved to another page since the document loaded (headings take the focus only then). */
export const hasNavigated = (): boolean => navigated;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => {
      navigated = true;
      setRoute(parseRoute(location.hash));
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
