/** A time as Kubernetes stores metav1.Time: RFC 3339, to the second. */
export function kubeTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
