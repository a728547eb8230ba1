/**
 * Request headers in which a client claims an address, or a path, that some backends believe
 * (a CDN's or a load balancer's, where none is in front): both proxy engines drop them, as they
 * drop a client's X-Forwarded-* and Forwarded; the proxy sets its own.
 */
export const CLIENT_CLAIM_HEADERS = [
  'x-forwarded-port',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-original-url',
  'x-rewrite-url',
] as const;
