import { AuditLog, PractitionersService } from '@referloop/identity';
import { v8Check } from '@referloop/testing';
import { DispatchStore } from '../libs/notifications/src/store/dispatch.store';
import { ReferralStore } from '../libs/referrals/src/store/referral-store';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually } from './support/sinks';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from './support/test-app';

const haveSameMap = v8Check('HaveSameMap');

/** Whether every object shares the first one's hidden class. */
const oneHiddenClass = (objects: object[]): boolean => objects.every((object) => haveSameMap(objects[0], object));
/**
 * Calls of one literal before V8's inline cache for it settles, during which even a leaking literal
 * reuses a hidden class (the control sees ~8): the objects after them are the ones compared.
 */
const WARM_UP = 10;
const settled = <T>(objects: T[]): T[] => objects.slice(WARM_UP);

/**
 * On Node 20 (V8 11.3) an object literal that starts with a spread and then adds a key gets a
 * hidden class of its own on every call, and each access to such objects misses V8's caches: a
 * create spent ~15 % of the API's CPU on it (docs/architecture.md). The objects the
 * hot paths build per request or per row are checked here, through the real app.
 */
describe('objects built per request share one hidden class', () => {
  let t: TestApp;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    await addPractitioner(t.http, physio, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  it('control: such a literal gets a new hidden class per call, one that starts with a key does not', () => {
    const spreadFirst = (base: object) => ({ ...base, added: true });
    const keyFirst = (base: object) => ({ added: true, ...base });
    const made = (build: (base: object) => object) => Array.from({ length: 60 }, (_, i) => build({ n: i }));
    const spread = made(spreadFirst);
    const sharedWithPrevious = (objects: object[]) =>
      objects.slice(1).filter((object, i) => haveSameMap(objects[i], object)).length;
    // The first few calls share one while V8's inline cache warms up; after that, none does.
    expect(sharedWithPrevious(spread)).toBeLessThanOrEqual(WARM_UP);
    expect(sharedWithPrevious(settled(spread))).toBe(0);
    expect(oneHiddenClass(made(keyFirst))).toBe(true);
  });

  it("a create's referral values and its audit row's entry", async () => {
    const insert = jest.spyOn(ReferralStore.prototype, 'insert');
    // Private: the entry it reads is the object that was copied before.
    const auditValues = jest.spyOn(AuditLog.prototype as unknown as { values: (entry: object) => unknown[] }, 'values');
    for (let i = 0; i < WARM_UP + 4; i++) await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const values = settled(insert.mock.calls.map((call) => call[1]));
    expect(values).toHaveLength(4);
    expect(oneHiddenClass(values)).toBe(true);
    const entries = settled(auditValues.mock.calls.map((call) => call[0]));
    expect(entries).toHaveLength(4);
    expect(oneHiddenClass(entries)).toBe(true);
  });

  it("the directory's items", async () => {
    const directory = jest.spyOn(PractitionersService.prototype, 'directory');
    // Two practitioners a page: the row mapping runs twice per call.
    for (let i = 0; i < WARM_UP / 2 + 2; i++) {
      await t.http.get('/api/v1/practitioners').query({ type: 'physical_therapist' }).set(lmt.auth).expect(200);
    }
    const pages = await Promise.all(
      directory.mock.results.map((result) => result.value as ReturnType<PractitionersService['directory']>),
    );
    const items = settled(pages.flatMap((page) => page.items));
    expect(items).toHaveLength(4);
    expect(oneHiddenClass(items)).toBe(true);
  });

  it("the worker's in-app notices", async () => {
    const insertDeliveries = jest.spyOn(DispatchStore.prototype, 'insertDeliveries');
    for (let i = 0; i < WARM_UP + 3; i++) {
      await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    }
    const inApp = () => insertDeliveries.mock.calls.flatMap((call) => call[1].filter((row) => row.channel === 'in_app'));
    await eventually(() => inApp().length >= WARM_UP + 3, 'the in-app notices planned');
    expect(oneHiddenClass(settled(inApp()))).toBe(true);
  });
});
