// Responses the gateway makes itself, with Kong's status codes and JSON bodies.

import { STATUS_CODES } from 'node:http';

export const KONG_MESSAGES = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  noPeer: 'failure to get a peer from the ring-balancer',
  badGateway: 'An invalid response was received from the upstream server',
  timeout: 'The upstream server is timed out',
  nameResolution: 'name resolution failed',
  internal: 'An unexpected error occurred',
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export function reason(status: number): string {
  return REASONS[status] ?? STATUS_CODES[status] ?? 'Unknown';
}

/** A complete HTTP/1.1 response (head and JSON body) as one latin1-safe string. */
export function errorResponse(
  status: number,
  message: string,
  requestId: string,
  serverToken: string,
  close: boolean,
  isHead = false,
): string {
  // The JSON body is ASCII-only: JSON.stringify escapes nothing above 0x7f, so escape it here.
  const body =
    JSON.stringify({ message, request_id: requestId }).replace(
      /[\u007f-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    ) + '\n';
  return (
    'HTTP/1.1 ' +
    status +
    ' ' +
    reason(status) +
    '\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ' +
    body.length +
    '\r\nServer: ' +
    serverToken +
    (close ? '\r\nConnection: close' : '') +
    '\r\n\r\n' +
    (isHead ? '' : body)
  );
}
