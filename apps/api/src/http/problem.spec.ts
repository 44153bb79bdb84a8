import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { AppError } from '@referloop/common';
import { PROBLEM_CONTENT_TYPE, problem, toProblem, unsupportedMediaType } from './problem';

const GENERIC_500 = 'An unexpected error occurred; it has been logged';

describe('toProblem', () => {
  it('has the RFC 9457 content type', () => {
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
  });

  describe('AppError', () => {
    it('maps the code to its status, title and type, with the detail', () => {
      expect(toProblem(new AppError('not_found', 'The practitioner was not found'))).toEqual({
        type: 'urn:referloop:problem:not_found',
        title: 'Not found',
        status: 404,
        detail: 'The practitioner was not found',
        code: 'not_found',
      });
    });

    it('uses the title as detail when none is given', () => {
      expect(toProblem(new AppError('email_taken'))).toMatchObject({
        status: 409,
        code: 'email_taken',
        detail: 'This email address is already registered',
      });
    });

    it('keeps the field errors of a validation error', () => {
      const errors = [{ field: 'admin.email', message: 'must be a valid email address' }];
      expect(toProblem(AppError.validation(errors))).toMatchObject({
        status: 400,
        code: 'validation_failed',
        errors,
        detail: 'admin.email: must be a valid email address',
      });
    });

    it('keeps extension members', () => {
      const p = toProblem(new AppError('invalid_transition', 'no', { currentStatus: 'sent', allowedActions: ['accept'] }));
      expect(p).toMatchObject({ status: 409, currentStatus: 'sent', allowedActions: ['accept'] });
    });

    it.each([
      ['unauthenticated', 401],
      ['forbidden', 403],
      ['payload_too_large', 413],
      ['rate_limited', 429],
      ['licence_expired', 422],
    ] as const)('%s is %i', (code, status) => {
      expect(toProblem(new AppError(code))).toMatchObject({ code, status });
    });
  });

  describe("Nest's HttpException", () => {
    it.each([
      [new NotFoundException('Cannot GET /x'), 404, 'not_found', 'Cannot GET /x'],
      [new UnauthorizedException(), 401, 'unauthenticated', 'Unauthorized'],
      [new ForbiddenException('nope'), 403, 'forbidden', 'nope'],
      [new PayloadTooLargeException(), 413, 'payload_too_large', 'Payload Too Large'],
      [new HttpException('Too many attempts', 429), 429, 'rate_limited', 'Too many attempts'],
    ])('%s → %i %s', (exception, status, code, detail) => {
      expect(toProblem(exception)).toMatchObject({ status, code, detail, type: `urn:referloop:problem:${code}` });
    });

    it('joins a list of messages', () => {
      expect(toProblem(new BadRequestException(['name must be a string', 'phone must be a phone number']))).toMatchObject({
        status: 400,
        code: 'validation_failed',
        detail: 'name must be a string; phone must be a phone number',
      });
    });

    it('keeps an unusual 4xx status', () => {
      expect(toProblem(new HttpException('I am a teapot', 418))).toMatchObject({
        status: 418,
        code: 'validation_failed',
        detail: 'I am a teapot',
      });
    });

    it.each([
      [new InternalServerErrorException('connection to db-primary:5432 password=hunter2 failed'), 500, 'internal_error'],
      [new HttpException('upstream said: secret-token-123', 502), 502, 'internal_error'],
      [new ServiceUnavailableException('redis at 10.0.0.7 is down'), 503, 'not_ready'],
    ])('a 5xx (%s) reveals nothing of its message', (exception, status, code) => {
      const p = toProblem(exception);
      expect(p).toMatchObject({ status, code });
      expect(JSON.stringify(p)).not.toMatch(/hunter2|secret-token|10\.0\.0\.7/);
    });
  });

  describe("Fastify's errors", () => {
    const fastifyError = (code: string, statusCode: number, message = 'raw fastify message') =>
      Object.assign(new Error(message), { code, statusCode });

    it.each([
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'payload_too_large'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'validation_failed'],
      ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 400, 'validation_failed'],
    ])('%s → %i %s', (code, statusCode, status, problemCode) => {
      const p = toProblem(fastifyError(code, statusCode));
      expect(p).toMatchObject({ status, code: problemCode });
      expect(p.detail).not.toBe('raw fastify message');
    });

    it('a JSON syntax error is a 400', () => {
      let syntaxError: unknown;
      try {
        JSON.parse('{"a":');
      } catch (error) {
        syntaxError = error;
      }
      expect(toProblem(syntaxError)).toMatchObject({
        status: 400,
        code: 'validation_failed',
        detail: 'The body is not valid JSON',
        errors: [{ field: 'body', message: 'is not valid JSON' }],
      });
    });

    it('an unsupported media type names the header to change', () => {
      expect(toProblem(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415))).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
        errors: [{ field: 'Content-Type', message: 'Send the body as application/json' }],
      });
      expect(toProblem(unsupportedMediaType('Content-Encoding', 'Send the body without a Content-Encoding'))).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
        errors: [{ field: 'Content-Encoding', message: 'Send the body without a Content-Encoding' }],
      });
    });

    it("Fastify's body errors name their field", () => {
      expect(toProblem(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'not json'))).toMatchObject({
        errors: [{ field: 'body' }],
      });
    });

    it("the router's errors do not echo the path (it may hold a token or a name)", () => {
      const badUrl = toProblem(fastifyError('FST_ERR_BAD_URL', 400, "'/reset/%E0%A4%A' is not a valid url component"));
      expect(badUrl).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ field: 'path' }] });
      const tooLong = toProblem(
        fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414, "'/patients/Jane Doe…' is exceeding the max param length"),
      );
      expect(tooLong).toMatchObject({ status: 404, code: 'not_found' });
      expect(JSON.stringify([badUrl, tooLong])).not.toMatch(/reset|Jane/);
    });

    it('another 4xx keeps its status and message', () => {
      expect(toProblem(fastifyError('FST_ERR_OTHER', 400, 'some other refusal'))).toMatchObject({
        status: 400,
        code: 'validation_failed',
        detail: 'some other refusal',
      });
      expect(toProblem(fastifyError('FST_ERR_NOT_FOUND', 404, 'Route not found'))).toMatchObject({
        status: 404,
        code: 'not_found',
      });
    });

    it('a 5xx from Fastify is a generic 500', () => {
      const p = toProblem(fastifyError('FST_ERR_SOMETHING', 500, 'internal detail /srv/app/secret.ts'));
      expect(p).toMatchObject({ status: 500, code: 'internal_error', detail: GENERIC_500 });
    });
  });

  describe('an unreachable database', () => {
    it('is a 503 not_ready (retry), not a 500', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      expect(toProblem(refused)).toMatchObject({ status: 503, code: 'not_ready' });
    });
  });

  describe('database pool waits', () => {
    it.each([
      // pg-pool's own errors when no connection frees up (or connects) within connectionTimeoutMillis.
      ['timeout exceeded when trying to connect'],
      ['Connection terminated due to connection timeout'],
    ])('"%s" is a 503 not_ready, not a 500', (message) => {
      expect(toProblem(new Error(message))).toMatchObject({
        status: 503,
        code: 'not_ready',
        type: 'urn:referloop:problem:not_ready',
      });
    });

    it('another database error stays a 500', () => {
      expect(toProblem(new Error('Connection terminated unexpectedly'))).toMatchObject({ status: 500, code: 'internal_error' });
    });
  });

  describe('anything else', () => {
    it.each([
      ['an Error', new Error('duplicate key value violates unique constraint "users_pkey" password=hunter2')],
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'hunter2')")],
      ['a string', 'hunter2'],
      ['null', null],
      ['undefined', undefined],
      ['an object', { message: 'hunter2', statusCode: 'not-a-number' }],
    ])('%s is a 500 that leaks nothing', (_label, error) => {
      const p = toProblem(error);
      expect(p).toEqual(problem('internal_error', GENERIC_500));
      expect(p.status).toBe(500);
      expect(JSON.stringify(p)).not.toContain('hunter2');
    });
  });
});
