package dev.permafrost.ps.rpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The service's two methods over plain byte arrays: no generated code, no protoc step. */
final class Rpc {
    static final String SERVICE = "permafrost.ParameterServer";
    /** Large models' shards exceed gRPC's 4 MiB default; both ends raise the limit. */
    static final int MAX_MESSAGE_BYTES = 1 << 30;
    static final Metadata.Key<String> SECRET = Metadata.Key.of("permafrost-secret", Metadata.ASCII_STRING_MARSHALLER);

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> PULL = method("Pull");
    static final MethodDescriptor<byte[], byte[]> PUSH = method("Push");

    private Rpc() {
    }

    private static MethodDescriptor<byte[], byte[]> method(String name) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }
}
