import type { OutgoingHttpHeaders } from 'node:http';
import { Controller, Get, Headers, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError, type Principal } from '@referloop/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, StreamCookieAuth } from '../auth/auth.decorators';
import { STREAM_COOKIE } from '../auth/web-session';
import { ApiProblems } from '../http/api-problems.decorator';
import { LIVE_HEARTBEAT_MS, LiveHub } from './live-hub';

const LAST_EVENT_ID = /^\d{1,15}$/;
/** How long a browser's EventSource waits before reconnecting (the web app's own reader does the same). */
const RETRY_MS = 2_000;

const STREAM_DESCRIPTION = [
  'A Server-Sent Events stream. Each event has a durable `id` (send the last one back as `Last-Event-ID` when',
  'reconnecting to get what you missed, up to 10 minutes back), an `event` name and JSON `data` with ids only:',
  '`referral.updated` `{id, version, status}` for every referral you may see (created, acted on, sent to you),',
  '`notification.created` `{id}` for a new in-app notification of yours, `message.created` `{referralId}` for a',
  `new message on a referral you may see. A comment line (\`: heartbeat\`) comes every ${LIVE_HEARTBEAT_MS / 1000} s; the stream`,
  'ends when your session is revoked (at once) or expires (checked at each heartbeat), or the server shuts down.',
].join(' ');

@ApiTags('events')
@ApiBearerAuth()
@ApiCookieAuth(STREAM_COOKIE)
@Controller()
export class LiveController {
  constructor(private readonly hub: LiveHub) {}

  /**
   * Live updates for the signed-in user, as Server-Sent Events: ids and statuses only (read the
   * resource to see what changed). Every API replica serves the same events, whichever replica made
   * the change. Authenticate with the bearer token like any call or, from the web app, with its
   * session's events cookie (httpOnly, Path=/api/v1/events, set with the refresh cookie; Origin-checked
   * when the request has one), so an EventSource works too; no token ever goes in the URL.
   */
  @Get('events')
  @StreamCookieAuth()
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description:
      'The id of the last event received: the stream starts with the events after it (an id no event has yet, as after a restored database, starts it from now)',
  })
  @ApiResponse({
    status: 200,
    description: STREAM_DESCRIPTION,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems('validation_failed', 'unauthenticated', 'forbidden')
  async events(
    @CurrentPrincipal() principal: Principal,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    let lastEventId: number | undefined;
    if (lastEventIdHeader !== undefined && lastEventIdHeader !== '') {
      if (!LAST_EVENT_ID.test(lastEventIdHeader)) {
        throw AppError.validation([{ field: 'Last-Event-ID', message: 'must be the id of an event of this stream' }]);
      }
      lastEventId = Number(lastEventIdHeader);
    }

    // From here on the response is ours: headers set so far (request id, security headers, CORS) go with it.
    reply.hijack();
    const raw = reply.raw;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold the events back in their buffers.
      'x-accel-buffering': 'no',
    });
    raw.write(`retry: ${RETRY_MS}\n\n`);
    let ended = false;
    const sink = {
      write: (chunk: string) => {
        if (!ended) raw.write(chunk);
      },
      queuedBytes: () => raw.writableLength,
      end: () => {
        if (ended) return;
        ended = true;
        raw.end();
      },
    };
    let unsubscribe: (() => void) | undefined;
    raw.on('close', () => {
      ended = true;
      unsubscribe?.();
    });
    try {
      unsubscribe = await this.hub.open(principal, sink, lastEventId);
      if (ended) unsubscribe();
    } catch (error) {
      request.log.warn({ err: error }, 'live: opening a stream failed');
      sink.end();
    }
  }
}
