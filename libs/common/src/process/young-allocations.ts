import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process. V8 watches where objects are
 * allocated, and a site whose objects mostly survive a young-generation collection gets its later
 * objects allocated straight into the old generation. In a server, startup and the requests in
 * flight at a collection make shared sites look long-lived (pg's rows and strings, the answers'
 * objects), after which every request's short-lived objects go to the old generation and only a
 * full mark-compact frees them. With four clients reading the received box, the API ran a
 * mark-compact every ~0.5 s and spent about a third of its CPU in garbage collection; without
 * pretenuring, none in 10 s, and API CPU per page 1.1–1.3 ms against 1.7–2.1 ms
 * (docs/performance.md, "Thirty-sixth machine"). Called first thing by the API's and the worker's
 * `main`; a flag on the command line would need every way of starting them to pass it.
 */
export function keepShortLivedObjectsYoung(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
