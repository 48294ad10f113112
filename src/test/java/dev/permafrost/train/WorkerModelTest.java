package dev.permafrost.train;

import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.FashionMlp;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Network;
import dev.permafrost.shard.ShardLayout;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WorkerModelTest {


    @Test
    void theBroadcastModelRoundTripsAndBuildsTheSameBits() {
        Network net = Dl4jNetworks.of(FashionMlp.build(10, 3));
        ParamLabels labels = FreezePlan.freezing("pretrained.*").resolve(net.params());
        ShardLayout layout = ShardLayout.plan(net.params(), labels);
        WorkerModel model = WorkerModel.of(2, net, net.paramsCopy(), labels, layout);

        WorkerModel back = WorkerModel.decode(model.encode());
        assertEquals(2, back.phase());
        assertEquals(model.configJson(), back.configJson());
        assertEquals(model.graph(), back.graph());
        assertEquals(model.labels(), back.labels());
        assertEquals(layout, back.layout(), "shards, rules and names all arrive");
        assertArrayEquals(RawBits.of(model.params()), RawBits.of(back.params()));
        assertArrayEquals(RawBits.of(net.paramsCopy()), RawBits.of(back.build().paramsCopy()));
    }

    @Test
    void bytesThatAreNotAWorkerModelAreRefused() {
        Network net = Dl4jNetworks.of(FashionMlp.build(10, 3));
        ParamLabels labels = ParamLabels.allTrainable(net.params());
        byte[] bytes = WorkerModel.of(0, net, net.paramsCopy(), labels, ShardLayout.plan(net.params(), labels)).encode();
        assertEquals("not a Permafrost worker model",
                assertThrows(IllegalArgumentException.class, () -> WorkerModel.decode(new byte[8])).getMessage());
        assertThrows(IllegalArgumentException.class, () -> WorkerModel.decode(Arrays.copyOf(bytes, bytes.length - 3)));
    }
}
