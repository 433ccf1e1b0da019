// google/api/http.proto and google/api/annotations.proto, the files a service's .proto imports
// for its `option (google.api.http) = {…}` annotations. Written here from the public
// definition of HttpRule (field names and numbers of google.api.HttpRule/CustomHttpPattern and
// the `http` extension number 72295728) rather than fetched: the build (tsc) copies no .proto
// files, and the plugin must not need the network. Registered with protobufjs' `common`
// (its mechanism for bundled imports) so that `import "google/api/annotations.proto"`
// resolves without a file on disk.

import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import { protobufModule as pb } from '../lazy-modules.js';

const HTTP_PROTO = `
syntax = "proto3";
package google.api;

message Http {
  repeated HttpRule rules = 1;
  bool fully_decode_reserved_expansion = 2;
}

message HttpRule {
  string selector = 1;
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
    CustomHttpPattern custom = 8;
  }
  string body = 7;
  string response_body = 12;
  repeated HttpRule additional_bindings = 11;
}

message CustomHttpPattern {
  string kind = 1;
  string path = 2;
}
`;

const ANNOTATIONS_PROTO = `
syntax = "proto3";
package google.api;

import "google/api/http.proto";
import "google/protobuf/descriptor.proto";

extend google.protobuf.MethodOptions {
  HttpRule http = 72295728;
}
`;

let registered = false;

/** Makes `google/api/{http,annotations}.proto` (and `google/protobuf/descriptor.proto`, which annotations imports) importable. Idempotent. */
export function registerGoogleApi(): void {
  if (registered) return;
  registered = true;
  const require = createRequire(import.meta.url);
  // protobufjs ships descriptor.proto as JSON but does not register it by default.
  const descriptor = require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace;
  pb().common('google/protobuf/descriptor.proto', descriptor);
  for (const [name, text] of [
    ['google/api/http.proto', HTTP_PROTO],
    ['google/api/annotations.proto', ANNOTATIONS_PROTO],
  ] as const) {
    // As source text, not JSON: protobufjs' loader parses a string entry like a file, so the
    // imports (annotations → http, descriptor) are followed; its typings only name the JSON form.
    pb().common(name, text as unknown as protobuf.INamespace);
  }
}
