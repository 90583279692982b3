import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { Construct, IValidation } from 'constructs';
import { AgentConstruct } from './agent.js';
import { taskSpecOf, TaskConstructProps } from './task.js';
import { AgentRef, ContextItem, OutputParameter } from './types.js';
import { SchemaValidation } from './validation.js';
import * as koc from '../../imports/kubeopencode.io.js';
import { ConcurrencyPolicy, scheduleProblem, timeZoneProblem } from '../api/crontask.js';

/** The Task a CronTask makes each time: a Task's props, with labels and annotations only for metadata. */
export interface CronTaskTemplateProps extends Omit<TaskConstructProps, 'metadata'> {
  /**
   * Labels of each Task made.
   * @default - none (the reconciler adds kubeopencode.io/crontask)
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations of each Task made.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface CronTaskConstructProps {
  /**
   * Name, namespace, labels and annotations of the CronTask.
   * @default - name generated from the construct path; namespace of the chart
   */
  readonly metadata?: ApiObjectMetadata;
  /** Five cron fields (minute hour day-of-month month day-of-week) or a macro such as `@daily`. */
  readonly schedule: string;
  /**
   * IANA time zone of the schedule.
   * @default UTC
   */
  readonly timeZone?: string;
  /**
   * What happens when the previous Task still runs at the next scheduled time.
   * @default 'Allow'
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * A scheduled time missed by more than this is skipped.
   * @default - the latest missed time is caught up once
   */
  readonly startingDeadlineSeconds?: number;
  /**
   * No Tasks on schedule while true.
   * @default false
   */
  readonly suspend?: boolean;
  /**
   * Completed Tasks kept.
   * @default 3
   */
  readonly successfulHistoryLimit?: number;
  /**
   * Failed Tasks kept.
   * @default 1
   */
  readonly failedHistoryLimit?: number;
  /** The Task to make at each scheduled time. */
  readonly task: CronTaskTemplateProps;
}

/** The schedule's values and the time zone, which the CRD's rules only check for shape. */
class ScheduleValidation implements IValidation {
  constructor(private readonly cron: CronTaskConstruct, private readonly props: CronTaskConstructProps) {}

  public validate(): string[] {
    const where = `CronTask ${this.cron.name} (${this.cron.node.path})`;
    const schedule = scheduleProblem(this.props.schedule);
    const timeZone = this.props.timeZone === undefined ? undefined : timeZoneProblem(this.props.timeZone);
    return [
      ...(schedule ? [`${where}: spec.schedule: "${this.props.schedule}": ${schedule}`] : []),
      ...(timeZone ? [`${where}: spec.timeZone: ${timeZone}`] : []),
    ];
  }
}

/**
 * A CronTask: makes a Task on a schedule, as a CronJob makes Jobs. Validated at synth time
 * against the CRD schema and its rules, and the schedule and time zone by the same parser
 * the reconciler uses.
 */
export class CronTaskConstruct extends Construct {
  public readonly resource: koc.CronTask;
  private readonly contexts: ContextItem[];
  private readonly outputParameters: OutputParameter[];

  constructor(scope: Construct, id: string, private readonly props: CronTaskConstructProps) {
    super(scope, id);
    this.contexts = [...(props.task.contexts ?? [])];
    this.outputParameters = [...(props.task.outputs?.parameters ?? [])];
    this.resource = new koc.CronTask(this, 'Resource', {
      metadata: props.metadata,
      spec: Lazy.any({ produce: () => this.spec() }),
    });
    this.node.addValidation(new SchemaValidation('CronTask', this.resource));
    this.node.addValidation(new ScheduleValidation(this, props));
  }

  public get name(): string {
    return this.resource.name;
  }

  /** Adds a context to every Task made, after the Agent's and the ones given before. */
  public addContext(context: ContextItem): this {
    this.contexts.push(context);
    return this;
  }

  /** Adds an output parameter to every Task made. */
  public addOutputParameter(parameter: OutputParameter): this {
    this.outputParameters.push(parameter);
    return this;
  }

  /** The Agent of every Task made. */
  public get agent(): AgentConstruct | AgentRef | undefined {
    return this.props.task.agent;
  }

  private spec(): koc.CronTaskSpec {
    const { task, metadata: _metadata, ...schedule } = this.props;
    const { labels, annotations, ...taskProps } = task;
    const templateMetadata = labels || annotations ? { labels, annotations } : undefined;
    return {
      ...schedule,
      taskTemplate: {
        metadata: templateMetadata,
        spec: taskSpecOf(taskProps, this.resource.metadata.namespace, this.contexts, this.outputParameters),
      },
    } as unknown as koc.CronTaskSpec;
  }
}
