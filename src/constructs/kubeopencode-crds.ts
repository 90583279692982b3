import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { agentCrd, configCrd, CrdDefinition, crdManifest, cronTaskCrd, taskCrd } from '../api/crds.js';

export interface KubeOpenCodeCrdsProps {
  /**
   * Labels added to every CustomResourceDefinition.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The CustomResourceDefinitions of kubeopencode.io/v1alpha1: Task, Agent, CronTask and
 * KubeOpenCodeConfig, with structural schemas, defaults, CEL rules, the status
 * subresource, short names (tk, ag, ct, koc) and printer columns.
 */
export class KubeOpenCodeCrds extends Construct {
  public readonly task: ApiObject;
  public readonly agent: ApiObject;
  public readonly config: ApiObject;
  public readonly cronTask: ApiObject;
  /** Every CRD, in install order. */
  public readonly all: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: KubeOpenCodeCrdsProps = {}) {
    super(scope, id);
    const add = (def: CrdDefinition): ApiObject => {
      const crd = new ApiObject(this, def.names.plural, crdManifest(def) as never);
      for (const [key, value] of Object.entries(props.labels ?? {})) crd.metadata.addLabel(key, value);
      return crd;
    };
    this.task = add(taskCrd);
    this.agent = add(agentCrd);
    this.config = add(configCrd);
    this.cronTask = add(cronTaskCrd);
    this.all = [this.task, this.agent, this.config, this.cronTask];
  }
}
