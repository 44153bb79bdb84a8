import { Module } from '@nestjs/common';
import { IdentityModule } from '@referloop/identity';
import { LiveHub } from './live-hub';
import { LiveController } from './live.controller';
import { LiveStore } from './live.store';

/** Live updates over Server-Sent Events (`GET /events`): the journal's reader and the open streams of this process. */
@Module({
  imports: [IdentityModule],
  controllers: [LiveController],
  providers: [LiveStore, LiveHub],
  exports: [LiveHub],
})
export class LiveModule {}
