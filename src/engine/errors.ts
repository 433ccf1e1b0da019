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

/**
 * The head of every response the gateway makes itself (error pages, plugin answers, gRPC
 * errors, redirects): status line, the given header lines ("Name: value\r\n"…), then the
 * framing and the gateway's own fields. `contentLength` -1 sends none (204, 304, 1xx).
 */
export function gatewayHead(
  status: number,
  lines: string,
  contentLength: number,
  serverToken: string,
  close: boolean,
): string {
  return (
    'HTTP/1.1 ' +
    status +
    ' ' +
    reason(status) +
    '\r\n' +
    lines +
    (contentLength >= 0 ? 'Content-Length: ' + contentLength + '\r\n' : '') +
    'Server: ' +
    serverToken +
    '\r\n' +
    (close ? 'Connection: close\r\n' : '') +
    '\r\n'
  );
}

/** Kong's error body: {"message": …, "request_id": …} and a newline, ASCII only. */
export function kongErrorBody(message: string, requestId: string): string {
  // JSON.stringify escapes nothing above 0x7f, so escape it here.
  return (
    JSON.stringify({ message, request_id: requestId }).replace(
      /[\u007f-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    ) + '\n'
  );
}

export const JSON_TYPE_LINE = 'Content-Type: application/json; charset=utf-8\r\n';
/** The same field as a pair, for a neutral response head (proxy/downstream.ts). */
export const JSON_TYPE_NAMES: readonly string[] = ['Content-Type'];
export const JSON_TYPE_VALUES: readonly string[] = ['application/json; charset=utf-8'];

/** A complete HTTP/1.1 response (head and JSON body) as one latin1-safe string. */
export function errorResponse(
  status: number,
  message: string,
  requestId: string,
  serverToken: string,
  close: boolean,
  isHead = false,
): string {
  const body = kongErrorBody(message, requestId);
  return gatewayHead(status, JSON_TYPE_LINE, body.length, serverToken, close) + (isHead ? '' : body);
}
