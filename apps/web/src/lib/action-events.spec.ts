/// <reference types="jest" />
import { TRANSITIONS } from '../../../../libs/referrals/src/state-machine/referral-state-machine';
import { ACTION_EVENTS } from './action-events';

describe('ACTION_EVENTS', () => {
  it("names each action's timeline event as the API's state machine writes it", () => {
    const fromTheMachine = Object.fromEntries(
      Object.entries(TRANSITIONS).map(([action, transition]) => [action, transition.event]),
    );
    expect(ACTION_EVENTS).toEqual(fromTheMachine);
  });
});
