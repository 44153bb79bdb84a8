import { Injectable } from '@nestjs/common';

/** The current time, injected so rules and tests never read the wall clock directly. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
