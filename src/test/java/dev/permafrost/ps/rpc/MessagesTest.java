package dev.permafrost.ps.rpc;

import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesTest {


    @Test
    void aPushRoundTripsWithEveryFieldAndRawFloatBits() {
        Map<Integer, Long> fingerprints = new LinkedHashMap<>();
        fingerprints.put(3, 0x8000_0000_0000_0001L);
        fingerprints.put(0, -1L);
        float[] sums = {0.5f, -0f, Float.intBitsToFloat(0x7fc0_0123), 1e-45f};
        var header = new Messages.PushHeader(2, 7, 3, 41L, 1, 64L, 12.25, "executor 3 on host", fingerprints);

        Messages.Push received = Messages.decodePush(Messages.encode(Messages.Push.of(header, sums)));
        Messages.PushHeader back = received.header();
        assertEquals(2, back.worker());
        assertEquals(7, back.submission());
        assertEquals(3, back.taskAttempt());
        assertEquals(41L, back.version());
        assertEquals(1, back.phase());
        assertEquals(64L, back.samples());
        assertEquals(12.25, back.lossSum());
        assertEquals("executor 3 on host", back.executor());
        assertEquals(fingerprints, back.fingerprints());
        assertEquals(header, back);
        assertArrayEquals(RawBits.of(sums), RawBits.of(floats(received.gradientSums())));
    }

    @Test
    void aPushEncodedByItsWriterEqualsOneEncodedFromAnArray() {
        var header = new Messages.PushHeader(0, 1, 0, 5L, 0, 8L, 2.0, "e", Map.of(1, 42L));
        float[] sums = {3f, -1f, Float.MIN_VALUE};
        byte[] direct = Messages.encode(header, 3, out -> {
            out.put(sums[0]);
            out.put(sums, 1, 2);
        });
        assertArrayEquals(Messages.encode(Messages.Push.of(header, sums)), direct);
        var tooFew = assertThrows(IllegalStateException.class, () -> Messages.encode(header, 3, out -> out.put(1f)));
        assertTrue(tooFew.getMessage().contains("wrote 1 of 3"), tooFew.getMessage());
    }

    private static float[] floats(java.nio.FloatBuffer view) {
        float[] out = new float[view.remaining()];
        view.duplicate().get(out);
        return out;
    }

    @Test
    void pullsAndTrainableValuesRoundTrip() {
        var pull = Messages.decodePull(Messages.encode(new Messages.Pull(1, 3, 2, "thread-1")));
        assertEquals(new Messages.Pull(1, 3, 2, "thread-1"), pull);
        float[] values = {1f, 2f, Float.NEGATIVE_INFINITY};
        var answer = Messages.decodeTrainableValues(Messages.encodeTrainableValues(9L, 1, values));
        assertEquals(9L, answer.version());
        assertEquals(1, answer.phase());
        assertArrayEquals(RawBits.of(values), RawBits.of(floats(answer.values())));
    }

    @Test
    void damagedMessagesAreRefusedNotMisread() {
        byte[] pull = Messages.encode(new Messages.Pull(1, 3, 2, "thread-1"));
        var wrongKind = assertThrows(IllegalArgumentException.class, () -> Messages.decodeTrainableValues(pull));
        assertTrue(wrongKind.getMessage().contains("bytes left") || wrongKind.getMessage().contains("bad float count"), wrongKind.getMessage());
        byte[] garbage = {9, 9, 9, 9, 9, 9};
        assertEquals("not a Permafrost parameter-server message",
                assertThrows(IllegalArgumentException.class, () -> Messages.decodePush(garbage)).getMessage());
        byte[] push = Messages.encode(Messages.Push.of(new Messages.PushHeader(0, 1, 0, 0, 0, 1, 0, "e", Map.of()), new float[]{1f, 2f}));
        byte[] truncated = Arrays.copyOf(push, push.length - 4);
        assertThrows(IllegalArgumentException.class, () -> Messages.decodePush(truncated));
        byte[] longer = Arrays.copyOf(push, push.length + 3);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Messages.decodePush(longer)).getMessage().contains("left over"));
    }
}
