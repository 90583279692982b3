import { ApiObject } from 'cdk8s';
import { IValidation } from 'constructs';
import { KubeOpenCodeKind, validateObject } from '../api/validate.js';

/**
 * Synth-time validation of one of our resources against the CRD schema and the
 * TypeScript twins of its CEL rules. Messages name the construct path, the object and
 * the field, e.g. `Agent default (app/agent): spec.contexts[0]: a Git context needs mountPath`.
 */
export class SchemaValidation implements IValidation {
  constructor(private readonly kind: KubeOpenCodeKind, private readonly resource: ApiObject) {}

  public validate(): string[] {
    const manifest = this.resource.toJson();
    const where = `${this.kind} ${this.resource.name} (${this.resource.node.path})`;
    return validateObject(this.kind, manifest).map((e) => `${where}: ${e.field}: ${e.message}`);
  }
}
