// gRPC without grpc-js or node:http2: framing, status, a client channel (unary and streaming calls) and a server, on our own HTTP/2 layer (h2/).
export { GrpcChannel, parseTarget } from './channel';
export type { ChannelOptions, CallOptions, StreamHandler, GrpcCall } from './channel';
export { MessageDecoder, frameMessage, writeMessageHeader, MESSAGE_HEADER_BYTES } from './framing';
export type { MessageSink } from './framing';
export { Code, GrpcError, codeName, percentDecode, percentEncode, statusFromHeaders } from './status';
export type { GrpcCode, GrpcMetadata } from './status';
export { MessageQueue } from './queue';
export { GrpcServer, parseGrpcTimeout } from './server';
export type { ServerOptions, ServerCall, ServerStream, UnaryHandler, ServerStreamHandler } from './server';
