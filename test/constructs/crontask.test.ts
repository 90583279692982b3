import { App, Chart, Testing } from 'cdk8s';
import { AgentConstruct, CronTaskConstruct } from '../../src/constructs/index.js';

describe('CronTaskConstruct', () => {
  test('synthesizes the schedule and a Task template that names its Agent, with the template\'s labels', () => {
    const chart = new Chart(new App(), 'c', { namespace: 'team' });
    const agent = new AgentConstruct(chart, 'agent', { metadata: { name: 'coder', namespace: 'platform' } });
    new CronTaskConstruct(chart, 'nightly', {
      metadata: { name: 'nightly' },
      schedule: '30 1 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      task: { agent, description: 'Review', labels: { team: 'a' } },
    }).addContext({ type: 'Text', text: 'be brief' }).addOutputParameter({ name: 'summary', path: '.outputs/summary' });
    const cron = Testing.synth(chart).find((o) => o.kind === 'CronTask');
    expect(cron).toEqual({
      apiVersion: 'kubeopencode.io/v1alpha1',
      kind: 'CronTask',
      metadata: { name: 'nightly', namespace: 'team' },
      spec: {
        schedule: '30 1 * * *',
        timeZone: 'Europe/Berlin',
        concurrencyPolicy: 'Forbid',
        taskTemplate: {
          metadata: { labels: { team: 'a' } },
          spec: {
            description: 'Review',
            agentRef: { name: 'coder', namespace: 'platform' },
            contexts: [{ type: 'Text', text: 'be brief' }],
            outputs: { parameters: [{ name: 'summary', path: '.outputs/summary' }] },
          },
        },
      },
    });
  });

  test.each([
    ['61 * * * *', 'spec.schedule: "61 * * * *": Constraint error'],
    ['* * * *', 'spec.schedule: must have five fields'],
  ])('a bad schedule %s fails at synth time: %s', (schedule, message) => {
    const chart = new Chart(new App(), 'c', { namespace: 'team' });
    new CronTaskConstruct(chart, 'bad', { metadata: { name: 'bad' }, schedule, task: { description: 'x' } });
    expect(() => Testing.synth(chart)).toThrow(message);
  });

  test('an unknown time zone fails at synth time with the construct path', () => {
    const chart = new Chart(new App(), 'c', { namespace: 'team' });
    new CronTaskConstruct(chart, 'bad', { metadata: { name: 'bad' }, schedule: '@daily', timeZone: 'Mars/Olympus', task: { description: 'x' } });
    expect(() => Testing.synth(chart)).toThrow('CronTask bad (c/bad): spec.timeZone: "Mars/Olympus" is not a time zone');
  });
});
