import { Writable } from 'node:stream';
import { accessLineText, createRootLogger, DeferredChildLogger, PinoNestLogger } from './logger';

/** A root logger at `level` whose JSON lines are collected. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { root: createRootLogger(level, stream), lines };
}

/** Lines without their timestamp, which differs between two loggers. */
const withoutTime = (lines: Record<string, unknown>[]) => lines.map(({ time: _time, ...rest }) => rest);

describe('DeferredChildLogger', () => {
  it('builds no child while nothing at an enabled level is written', () => {
    const { root, lines } = capture('warn');
    const child = jest.spyOn(root, 'child');
    const log = new DeferredChildLogger(root, { reqId: 'r-1' });
    log.info({ req: { url: '/x' } }, 'incoming request');
    log.debug('detail');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(log.level).toBe('warn');
  });

  it('writes the same lines as an eager child, bindings and redaction included', () => {
    const eager = capture('info');
    const deferred = capture('info');
    const err = new Error('boom');
    const write = (log: { info: (...args: unknown[]) => void; error: (...args: unknown[]) => void }) => {
      log.info({ body: { password: 'hunter2', city: 'Austin' } }, 'first');
      log.error({ err }, 'second');
    };
    write(eager.root.child({ reqId: 'r-2' }));
    write(new DeferredChildLogger(deferred.root, { reqId: 'r-2' }));
    expect(withoutTime(deferred.lines)).toEqual(withoutTime(eager.lines));
    expect(deferred.lines[0]).toMatchObject({ reqId: 'r-2', body: { password: '[redacted]', city: 'Austin' }, msg: 'first' });
  });

  it('honours a level given in the child options', () => {
    const { root, lines } = capture('warn');
    const log = new DeferredChildLogger(root, { reqId: 'r-3' }, { level: 'debug' });
    log.debug('shown');
    expect(lines).toMatchObject([{ reqId: 'r-3', msg: 'shown', level: 20 }]);
    expect(log.level).toBe('debug');
  });

  it('hands out grandchildren that carry both bindings', () => {
    const { root, lines } = capture('info');
    new DeferredChildLogger(root, { reqId: 'r-4' }).child({ part: 'upload' }).info('nested');
    expect(lines).toMatchObject([{ reqId: 'r-4', part: 'upload', msg: 'nested' }]);
  });
});

describe('PinoNestLogger', () => {
  it('keeps Nest’s per-module and per-route start-up lines at debug, and other framework lines at info', () => {
    const { root, lines } = capture('info');
    const nest = new PinoNestLogger(root);
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('Mapped {/api/v1/me, GET} route', 'RouterExplorer');
    nest.log('Nest application successfully started', 'NestApplication');
    // The embedded mode's second context registering the default data source is no warning.
    nest.warn('A data source with the default name is already registered.', 'DataSourceNameRegistry');
    nest.warn('Something else', 'DataSourceNameRegistryX');
    expect(lines).toMatchObject([
      { level: 30, context: 'NestApplication', msg: 'Nest application successfully started' },
      { level: 40, context: 'DataSourceNameRegistryX' },
    ]);
    expect(lines).toHaveLength(2);
  });
});

describe('accessLineText (the terminal)', () => {
  it('puts a request line on one row, and leaves other lines as they are', () => {
    const line = {
      msg: 'request completed',
      req: { method: 'GET', url: '/api/v1/me' },
      res: { statusCode: 200 },
      responseTime: 3.4,
    };
    expect(accessLineText(line, 'msg')).toBe('request completed GET /api/v1/me 200 3 ms');
    expect(accessLineText({ msg: 'ReferLoop API listening' }, 'msg')).toBe('ReferLoop API listening');
  });
});
