import { App, Chart } from 'cdk8s';
import { ContextError, ResolvedContext } from '../../src/constructs/context-plan.js';
import { ContextVolume } from '../../src/constructs/context-volume.js';

const text = (name: string, mountPath?: string): ResolvedContext => ({
  item: { type: 'Text', name, text: `about ${name}`, ...(mountPath ? { mountPath } : {}) },
  origin: `Task ns/t spec.contexts[${name}]`,
});

function volume(contexts: ResolvedContext[]): ContextVolume {
  return new ContextVolume(new Chart(new App(), 'c'), 'context', { metadata: { name: 'cm' }, description: 'Fix it.', contexts });
}

describe('ContextVolume', () => {
  test('plans once: every reader gets the same plan, until addContext() changes the contexts', () => {
    const cv = volume([text('a')]);
    const first = cv.plan;
    cv.volumes();
    cv.agentMounts();
    cv.contextInitMounts();
    expect(cv.plan).toBe(first);
    cv.addContext(text('b', 'b.md'));
    expect(cv.plan).not.toBe(first);
    expect(JSON.stringify(cv.plan)).toContain('/workspace/b.md');
    expect(cv.plan.data['task.md']).toContain('about a');
  });

  test('validate() throws the ContextError itself, at once', () => {
    const cv = volume([text('a', 'same.md'), text('b', 'same.md')]);
    expect(() => cv.validate()).toThrow(ContextError);
  });

  test('validate() returns the volume for contexts that work', () => {
    const cv = volume([text('a')]);
    expect(cv.validate()).toBe(cv);
  });
});
