import { AdmissionState } from '../../src/reconciler/admission-state.js';

/** A state on a clock the test moves by hand. */
function stateAt(startMs = 1_000_000) {
  const clock = { now: startMs };
  return { state: new AdmissionState(() => clock.now), clock };
}

describe('AdmissionState: checked new Tasks (pure, fake clock)', () => {
  test('taskChecked -> isChecked for that uid only (a new Task of the same name is not)', () => {
    const { state } = stateAt();
    state.taskChecked({ key: 'ns/a', uid: 'u1' });
    expect(state.isChecked({ key: 'ns/a', uid: 'u1' })).toBe(true);
    expect(state.isChecked({ key: 'ns/a', uid: 'u2' })).toBe(false);
    expect(state.isChecked({ key: 'ns/b', uid: 'u1' })).toBe(false);
  });

  test('forgetTask (a reconcile starts, a phase is written, the Task is deleted) -> not checked', () => {
    const { state } = stateAt();
    state.taskChecked({ key: 'ns/a', uid: 'u1' });
    state.forgetTask('ns/a');
    expect(state.isChecked({ key: 'ns/a', uid: 'u1' })).toBe(false);
    expect(state.size.checkedTasks).toBe(0);
  });

  test('a Task without a uid is never checked (nothing to tell it from a later one of the same name)', () => {
    const { state } = stateAt();
    state.taskChecked({ key: 'ns/a' });
    expect(state.isChecked({ key: 'ns/a' })).toBe(false);
    expect(state.size.checkedTasks).toBe(0);
  });

  test('a restart (a new state) remembers nothing', () => {
    const { state } = stateAt();
    state.taskChecked({ key: 'ns/a', uid: 'u1' });
    expect(new AdmissionState().isChecked({ key: 'ns/a', uid: 'u1' })).toBe(false);
  });
});

describe('AdmissionState: write clocks (pure, fake clock)', () => {
  test('status: may be written at once, then not until the interval passed', () => {
    const { state, clock } = stateAt();
    expect(state.statusWriteWait('ns/ag', 2000)).toBe(0);
    state.statusWritten('ns/ag');
    expect(state.statusWriteWait('ns/ag', 2000)).toBe(2000);
    clock.now += 1500;
    expect(state.statusWriteWait('ns/ag', 2000)).toBe(500);
    clock.now += 500;
    expect(state.statusWriteWait('ns/ag', 2000)).toBe(0);
    expect(state.statusWriteWait('ns/other', 2000)).toBe(0);
  });

  test('queue positions: a refresh is due at once, then after the interval', () => {
    const { state, clock } = stateAt();
    expect(state.positionsRefreshDue('ns/ag', 2000)).toBe(true);
    state.positionsRefreshed('ns/ag');
    expect(state.positionsRefreshDue('ns/ag', 2000)).toBe(false);
    expect(state.positionsRefreshWait('ns/ag', 2000)).toBe(2000);
    clock.now += 2000;
    expect(state.positionsRefreshDue('ns/ag', 2000)).toBe(true);
  });

  test('agentGone forgets the Agent\'s clocks', () => {
    const { state } = stateAt();
    state.statusWritten('ns/ag');
    state.slotFreed('ns/ag');
    state.agentGone('ns/ag');
    expect(state.size.agents).toBe(0);
    expect(state.statusWriteWait('ns/ag', 2000)).toBe(0);
    expect(state.slotClaimed('ns/ag')).toBeUndefined();
  });
});

describe('AdmissionState: freed slots (pure, fake clock)', () => {
  test('slotClaimed takes the oldest freed slot and says how long ago it freed', () => {
    const { state, clock } = stateAt();
    state.slotFreed('ns/ag');
    clock.now += 300;
    state.slotFreed('ns/ag');
    clock.now += 200;
    expect(state.slotClaimed('ns/ag')).toBe(0.5);
    expect(state.slotClaimed('ns/ag')).toBe(0.2);
    expect(state.slotClaimed('ns/ag')).toBeUndefined();
  });

  test('an admission with no freed slot (a free one from the start) measures nothing', () => {
    const { state } = stateAt();
    expect(state.slotClaimed('ns/ag')).toBeUndefined();
  });

  test('queueEmptied drops freed slots nobody waited for', () => {
    const { state, clock } = stateAt();
    state.slotFreed('ns/ag');
    state.queueEmptied('ns/ag');
    clock.now += 60_000;
    state.slotFreed('ns/ag');
    clock.now += 100;
    expect(state.slotClaimed('ns/ag')).toBeCloseTo(0.1);
  });

  test('marks are bounded per Agent: the oldest go first', () => {
    const { state, clock } = stateAt();
    for (let i = 0; i < 1005; i++) {
      state.slotFreed('ns/ag');
      clock.now += 1;
    }
    // The first five marks were dropped: the oldest left freed at start + 5 ms.
    expect(state.slotClaimed('ns/ag')).toBeCloseTo((1005 - 5) / 1000);
  });
});
