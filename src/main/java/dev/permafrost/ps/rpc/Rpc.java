package dev.permafrost.ps.rpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
            return new WholeArray(value);
        }

        /** Reads a message of known length into one array of its size: one copy out of gRPC's buffers. */
        @Override
        public byte[] parse(InputStream stream) {
            try {
                if (stream instanceof KnownLength) {
                    byte[] out = new byte[stream.available()];
                    if (stream.readNBytes(out, 0, out.length) != out.length || stream.read() != -1) {
                        throw new IOException("a message did not have its announced length");
                    }
                    return out;
                }
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /**
     * A message's bytes as gRPC takes them best: of known length, and drained into its buffers in one write, instead
     * of read through in chunks.
     */
    private static final class WholeArray extends ByteArrayInputStream implements KnownLength, Drainable {
        WholeArray(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }

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
