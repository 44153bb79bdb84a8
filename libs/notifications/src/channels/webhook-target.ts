import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must never reach (SSRF), from the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries: everything not globally reachable, plus the ranges that tunnel or translate to IPv4
 * (NAT64, 6to4, Teredo, IPv4-mapped and IPv4-compatible), which could lead back to a private one.
 */
const BLOCKED_IPV4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.31.196.0', 24], // AS112-v4
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // direct delegation AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the limited broadcast address
];
const BLOCKED_IPV6: [string, number][] = [
  ['::', 96], // unspecified, loopback, IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64 well-known prefix
  ['64:ff9b:1::', 48], // NAT64 local use
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing (SRv6) SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

// One list per family: in a shared BlockList the IPv4-mapped rule (::ffff:0:0/96) also matches
// every IPv4 address checked as 'ipv4', which refused all IPv4 webhooks.
const BLOCKED_V4 = new BlockList();
for (const [net, prefix] of BLOCKED_IPV4) BLOCKED_V4.addSubnet(net, prefix, 'ipv4');
const BLOCKED_V6 = new BlockList();
for (const [net, prefix] of BLOCKED_IPV6) BLOCKED_V6.addSubnet(net, prefix, 'ipv6');

/** What is stored and answered when a target is refused: no address, no resolver detail. */
export const WEBHOOK_TARGET_NOT_ALLOWED = 'webhook target is not allowed';
export const WEBHOOK_HTTPS_REQUIRED = 'webhook URL must use https';
export const WEBHOOK_HOST_UNRESOLVED = 'webhook host could not be resolved';
export const WEBHOOK_CREDENTIALS_IN_URL =
  'webhook URL must not carry a user name or password: verify deliveries by their signature instead';

/** A refused webhook URL or target; its message is one of the generic texts above. */
export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? BLOCKED_V4.check(address, 'ipv4') : BLOCKED_V6.check(address, 'ipv6');
}

/** Resolves a host name to all its addresses (injectable, so tests can play a rebinding DNS). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const resolveHost: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The host of a URL as the resolver and the allow-list see it (no IPv6 brackets, lower case). */
export function webhookHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Whether a webhook URL may be used at all, before any DNS: http(s) only, and https unless its host
 * is on the allow-list (WEBHOOK_ALLOWED_HOSTS); no credentials (`user:password@`), which every
 * listing of the webhook would show again. Returns whether the host is allow-listed (then its
 * addresses are not checked).
 */
export function checkWebhookUrl(url: URL, allowedHosts: readonly string[]): { allowListed: boolean } {
  if (url.username || url.password) throw new WebhookTargetError(WEBHOOK_CREDENTIALS_IN_URL);
  const allowListed = allowedHosts.includes(webhookHost(url));
  if (url.protocol !== 'https:' && !(allowListed && url.protocol === 'http:'))
    throw new WebhookTargetError(WEBHOOK_HTTPS_REQUIRED);
  return { allowListed };
}

/** Every address of `hostname` (an address literal is its own); none when it does not resolve. */
async function addressesOf(hostname: string, resolve: ResolveHost): Promise<LookupAddress[]> {
  const family = isIP(hostname);
  if (family !== 0) return [{ address: hostname, family }];
  try {
    return await resolve(hostname);
  } catch {
    return [];
  }
}

/** Refuses `addresses` when any of them is blocked (a rebinding DNS may mix them). */
function refuseBlocked(addresses: readonly LookupAddress[]): void {
  if (addresses.some((a) => isBlockedAddress(a.address))) throw new WebhookTargetError(WEBHOOK_TARGET_NOT_ALLOWED);
}

/** Every address of `hostname`, or an error when it has none or any of them is blocked. */
export async function resolvePublic(hostname: string, resolve: ResolveHost): Promise<LookupAddress[]> {
  const addresses = await addressesOf(hostname, resolve);
  if (addresses.length === 0) throw new WebhookTargetError(WEBHOOK_HOST_UNRESOLVED);
  refuseBlocked(addresses);
  return addresses;
}

/**
 * Refuses a webhook URL that is not https, or whose host is, or resolves to, a non-public address,
 * unless the host is allow-listed. Checked when the webhook is created; a delivery checks again
 * when it connects (webhookLookup), since DNS can change. A host that does not resolve now (a
 * receiver not deployed yet, a resolver down for a moment) is accepted: its deliveries are checked,
 * and retried, when they connect, and end in the failed list if it never resolves.
 */
export async function assertWebhookTarget(url: URL, allowedHosts: readonly string[], resolve = resolveHost): Promise<void> {
  if (checkWebhookUrl(url, allowedHosts).allowListed) return;
  refuseBlocked(await addressesOf(webhookHost(url), resolve));
}

/**
 * The `lookup` of a delivery's socket: the addresses it connects to are the ones checked here,
 * in the same resolution (a DNS answer that changed since the webhook was created, or since a
 * check a moment ago, cannot slip a private address in). Node calls it with `all: true` when it
 * tries several addresses (happy eyeballs), else for one address.
 */
export function webhookLookup(resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, resolve).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) return callback(new WebhookTargetError(WEBHOOK_HOST_UNRESOLVED), '', 0);
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        callback(null, usable[0].address, usable[0].family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
