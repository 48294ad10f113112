/**
 * The parameter server as a gRPC service: the wire format, the client, the job secret and TLS.
 */
package dev.permafrost.ps.rpc;
