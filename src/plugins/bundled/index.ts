// Every plugin bundled in this build. `bundledRegistry()` registers each one; append new
// plugins here (one import and one entry each), never reorder or remove others' lines.

import type { PluginModule } from '../sdk.js';
import requestTermination from './request-termination/index.js';
import cors from './cors/index.js';
import ipRestriction from './ip-restriction/index.js';
import correlationId from './correlation-id/index.js';
import requestSizeLimiting from './request-size-limiting/index.js';
import botDetection from './bot-detection/index.js';
import rateLimiting from './rate-limiting/index.js';
import keyAuth from './key-auth/index.js';
import basicAuth from './basic-auth/index.js';
import acl from './acl/index.js';
import requestTransformer from './request-transformer/index.js';
import responseTransformer from './response-transformer/index.js';
import fileLog from './file-log/index.js';
import redirect from './redirect/index.js';
import jwt from './jwt/index.js';
import httpLog from './http-log/index.js';
import hmacAuth from './hmac-auth/index.js';
import preFunction from './pre-function/index.js';
import postFunction from './post-function/index.js';
import opentelemetry from './opentelemetry/index.js';
import openidConnect from './openid-connect/index.js';
import proxyCache from './proxy-cache/index.js';
import prometheus from './prometheus/index.js';
import responseCompression from './response-compression/index.js';
import requestValidator from './request-validator/index.js';
import grpcWeb from './grpc-web/index.js';
import grpcGateway from './grpc-gateway/index.js';

export const bundled: PluginModule[] = [
  requestTermination,
  cors,
  ipRestriction,
  correlationId,
  requestSizeLimiting,
  botDetection,
  keyAuth,
  basicAuth,
  acl,
  rateLimiting,
  requestTransformer,
  responseTransformer,
  fileLog,
  redirect,
  jwt,
  httpLog,
  hmacAuth,
  preFunction,
  postFunction,
  opentelemetry,
  openidConnect,
  proxyCache,
  prometheus,
  responseCompression,
  requestValidator,
  grpcWeb,
  grpcGateway,
];
