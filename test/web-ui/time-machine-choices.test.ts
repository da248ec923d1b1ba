import { describe, expect, it } from 'vitest';
import { timeMachineChoices, timeMachineLabel } from '../../web/src/pages/organizations/timeMachine.js';

/** The organization settings' time-machine choices come from TAG_EXPIRATION_OPTIONS. */
describe('time machine choices', () => {
  it("offers Quay's v2 UI windows when TAG_EXPIRATION_OPTIONS lists them", () => {
    const labels = timeMachineChoices(['0s', '1w', '30d', '365d'], undefined).map((choice) => choice.label);
    expect(labels).toEqual(['None: deleted tags are not kept', '1 week', '1 month', '1 year']);
  });

  it('names the default options in the largest whole unit', () => {
    expect(['0s', '1d', '1w', '2w', '4w'].map((o) => timeMachineChoices([o], undefined)[0]?.label)).toEqual([
      'None: deleted tags are not kept',
      '1 day',
      '1 week',
      '2 weeks',
      '4 weeks',
    ]);
    expect(timeMachineLabel(90 * 86_400)).toBe('3 months');
    expect(timeMachineLabel(36 * 3600)).toBe('36 hours');
  });

  it('keeps a current window that is no longer offered, and drops options the server would refuse', () => {
    const choices = timeMachineChoices(['1w', 'forever', '2x'], 3 * 86_400);
    expect(choices.map((choice) => choice.seconds)).toEqual([3 * 86_400, 604_800]);
  });
});
