package dev.permafrost.checkpoint;

import dev.permafrost.optim.AdamState;
import dev.permafrost.optim.SgdState;
import dev.permafrost.optim.ShardState;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerStateCodecTest {


    @Test
    void adamAndSgdStateRoundTripBitForBitByShard() {
        var adam = new AdamState(new float[]{0.1f, -0f, 3e-38f}, new float[]{1e-12f, 0f, Float.MIN_VALUE}, 17);
        var sgd = new SgdState(new float[]{-2.5f, Float.intBitsToFloat(0x7fc0_0042)}, 4);
        Map<Integer, ShardState> back = OptimizerStateCodec.decode(OptimizerStateCodec.encode(Map.of(5, adam, 2, sgd)));

        assertEquals(2, back.size());
        AdamState a = assertInstanceOf(AdamState.class, back.get(5));
        assertEquals(17, a.step());
        assertArrayEquals(RawBits.of(adam.expAvg()), RawBits.of(a.expAvg()));
        assertArrayEquals(RawBits.of(adam.expAvgSq()), RawBits.of(a.expAvgSq()));
        SgdState g = assertInstanceOf(SgdState.class, back.get(2));
        assertEquals(4, g.step());
        assertArrayEquals(RawBits.of(sgd.momentumBuffer()), RawBits.of(g.momentumBuffer()));
        assertEquals(Map.of(), OptimizerStateCodec.decode(OptimizerStateCodec.encode(Map.of())));
    }

    @Test
    void bytesThatAreNotOptimizerStateAreRefused() {
        byte[] good = OptimizerStateCodec.encode(Map.of(0, new AdamState(new float[4], new float[4], 1)));
        assertThrows(IllegalArgumentException.class, () -> OptimizerStateCodec.decode(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
        assertThrows(IllegalArgumentException.class, () -> OptimizerStateCodec.decode(Arrays.copyOf(good, good.length - 4)));
        var extra = assertThrows(IllegalArgumentException.class, () -> OptimizerStateCodec.decode(Arrays.copyOf(good, good.length + 2)));
        assertTrue(extra.getMessage().contains("left over"), extra.getMessage());
        byte[] unknownKind = good.clone();
        unknownKind[12] = 9; // magic, count, shard index, then the kind byte
        var kind = assertThrows(IllegalArgumentException.class, () -> OptimizerStateCodec.decode(unknownKind));
        assertTrue(kind.getMessage().contains("unknown state kind 9"), kind.getMessage());
    }
}
