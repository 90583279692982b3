/**
 * What the UI asks the API server beyond plain reads and writes: our resources' paths, and
 * the user's own permissions and name. Every request is the user's, through the RestClient of
 * their session; only the fixed paths the UI's routes build are requested: nothing proxies a
 * path the page names.
 */
import { API_VERSION } from '../../api/constants.js';
import { ApiError } from '../../reconciler/runtime/api-errors.js';
import { groupPath, RestClient } from '../../reconciler/runtime/rest-client.js';

/** `/apis/kubeopencode.io/v1alpha1[/namespaces/NS]/PLURAL[/NAME]` */
export function crdPath(plural: string, namespace?: string, name?: string): string {
  return groupPath(API_VERSION, plural, namespace, name);
}

/** Whether the user may `verb` the resource (in `namespace`, or in all namespaces without one). */
export async function mayI(client: RestClient, attrs: { verb: string; group: string; resource: string; namespace?: string }): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } },
  });
  return review.status?.allowed === true;
}

/** Who the API server says the user is (SelfSubjectReview); undefined when it cannot tell. */
export async function whoAmI(client: RestClient): Promise<string | undefined> {
  try {
    const review = await client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username;
  } catch (e) {
    if (e instanceof ApiError && e.code === 401) throw e;
    return undefined;
  }
}
