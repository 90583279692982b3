import { arr, int, JSONSchema, obj, str, timestamp } from './schema.js';

/** The shape of metav1.Condition. */
export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export const conditionsSchema: JSONSchema = arr('The latest observations of the object\'s state, one per type.', obj(
  'One aspect of the object\'s state (the shape of metav1.Condition).',
  {
    type: str('Type of the condition, in CamelCase.', { maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' }),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    reason: str('Why the condition is in this state, in CamelCase.', { minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
    message: str('A human-readable explanation.', { maxLength: 32768 }),
    lastTransitionTime: timestamp('When the status last changed.'),
    observedGeneration: { ...int('The metadata.generation the condition was set for.', { minimum: 0 }), format: 'int64' },
  },
  { required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'] },
), {
  'maxItems': 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});
