import createClient from 'openapi-fetch';
import { ApiError } from './problem';
import type { paths } from './schema';
import { authFetch } from './session';

/** The typed API client, generated from the API's OpenAPI document (see scripts/openapi.js). */
export const api = createClient<paths>({ baseUrl: '', fetch: authFetch });

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits a client call: the data, or an ApiError carrying the problem+json answer. */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request;
  } catch (error) {
    throw error instanceof ApiError ? error : ApiError.network(error);
  }
  if (!result.response.ok || result.error !== undefined) throw ApiError.fromBody(result.response.status, result.error);
  return result.data as T;
}

/** Downloads a protected file (attachment, CSV export) and hands it to the browser as a file. */
export async function download(path: string, fallbackName: string): Promise<void> {
  let response: Response;
  try {
    response = await authFetch(new Request(path, { headers: { accept: '*/*' } }));
  } catch (error) {
    throw ApiError.network(error);
  }
  if (!response.ok) throw ApiError.fromBody(response.status, await response.json().catch(() => null));
  const blob = await response.blob();
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="([^"]+)"/i.exec(disposition)?.[1];
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name ? decodeURIComponent(name) : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
