// @themisdb/client-grpc-web: typed clients for themisd's gRPC services over
// gRPC-web or Connect (docs/grpc.md). The service descriptors and
// messages under ./gen are generated from protos/ by
// scripts/gen-ts-client.sh (protoc + @bufbuild/protoc-gen-es).

import { createClient, type Client, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-web";

import { Changefeed } from "./gen/themis/v1/changefeed_pb.js";
import { Documents } from "./gen/themis/v1/documents_pb.js";
import { Jobs } from "./gen/themis/v1/jobs_pb.js";
import { Query } from "./gen/themis/v1/query_pb.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";

export * from "./gen/themis/v1/changefeed_pb.js";
export * from "./gen/themis/v1/documents_pb.js";
export * from "./gen/themis/v1/jobs_pb.js";
export * from "./gen/themis/v1/query_pb.js";
export * from "./gen/grpc/health/v1/health_pb.js";

/// One typed client per service, all on one transport.
export interface ThemisClients {
  documents: Client<typeof Documents>;
  query: Client<typeof Query>;
  jobs: Client<typeof Jobs>;
  changefeed: Client<typeof Changefeed>;
  health: Client<typeof Health>;
}

export function createThemisClients(transport: Transport): ThemisClients {
  return {
    documents: createClient(Documents, transport),
    query: createClient(Query, transport),
    jobs: createClient(Jobs, transport),
    changefeed: createClient(Changefeed, transport),
    health: createClient(Health, transport),
  };
}

export interface ThemisOptions {
  /// e.g. "https://db.example.com" (the themisd HTTP/HTTPS port)
  baseUrl: string;
  /// "grpc-web" (default; binary gRPC-web) or "connect"
  protocol?: "grpc-web" | "connect";
  /// sent as `authorization: Bearer <token>` (JWT or API key)
  token?: string;
}

/// Clients for a browser (fetch): gRPC-web or Connect.
export function createThemisWebClients(opts: ThemisOptions): ThemisClients {
  const interceptors = opts.token
    ? [
        (next: any) => async (req: any) => {
          req.header.set("authorization", `Bearer ${opts.token}`);
          return next(req);
        },
      ]
    : [];
  const transport =
    opts.protocol === "connect"
      ? createConnectTransport({ baseUrl: opts.baseUrl, interceptors })
      : createGrpcWebTransport({ baseUrl: opts.baseUrl, interceptors });
  return createThemisClients(transport);
}
