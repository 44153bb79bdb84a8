'use strict';
// Tiny JSON client for seeding data through the real API (no supertest: this runs against a process).

/** Sends `body` as JSON and returns the parsed answer; any status other than `expect` is an error. */
async function requestJson(baseUrl, method, path, { body, token, expect = 200 } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status} (expected ${expect}): ${text}`);
  return text ? JSON.parse(text) : undefined;
}

module.exports = { requestJson };
