package dev.permafrost.train;

import dev.permafrost.job.JobSettings;

import dev.permafrost.job.JobSettings;
import dev.permafrost.data.FashionMnist.ClassRange;
import dev.permafrost.freeze.FreezePlan;
import dev.permafrost.freeze.FreezeSchedule;
import dev.permafrost.model.NamedParam;
import dev.permafrost.network.Dl4jNetworks;
import dev.permafrost.network.Evaluation;
import dev.permafrost.network.Network;
import dev.permafrost.optim.OptimizerConfig;
import dev.permafrost.testing.Fashion;
import dev.permafrost.testing.RawBits;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The convolutional transfer set-up of jobs/cnn-pretrain.conf and jobs/cnn-finetune.conf: pretrain on classes 0-4,
 * a new 5-class output layer, the convolutional backbone frozen, fine-tune on classes 5-9, accuracy on the held-out
 * test set.
 */
@Tag("slow")
class CnnFineTuneAccuracyTest {
    /**
     * Stated target: 2 points above the MLP demo's 0.890 on classes 5-9 (test set, 5,000 images; chance 0.20).
     * Measured here: 0.9704 (pretrain 0.9204 on classes 0-4), the same as the command line with the same job files.
     */
    private static final double TARGET_ACCURACY = 0.91;

    @Test
    void aHeadFineTunedOnAFrozenConvolutionalBackboneReachesTheTarget() {
        var spec = JobSettings.load(Optional.of(Path.of("jobs/cnn-pretrain.conf")), List.of()).modelSpec();
        var adam = OptimizerConfig.Adam.adam(1e-3);
        var pretrain = new LocalTrainer(TrainingConfig.of(2, 32, 2, adam, FreezeSchedule.constant(FreezePlan.NOTHING_FROZEN)))
                .fit(Dl4jNetworks.of(spec.build(42)), Fashion.train(ClassRange.parse("0-4")), TrainingListener.NONE);
        double pretrainAccuracy = Evaluation.accuracy(pretrain.network(), Fashion.test(ClassRange.parse("0-4")));

        Network start = pretrain.network().replaceHead(5, 42);
        float[] before = start.paramsCopy();
        var finetune = new LocalTrainer(TrainingConfig.of(2, 32, 2, adam, FreezeSchedule.constant(FreezePlan.freezing("backbone.*"))))
                .fit(start, Fashion.train(ClassRange.parse("5-9")), TrainingListener.NONE);
        double accuracy = Evaluation.accuracy(finetune.network(), Fashion.test(ClassRange.parse("5-9")));
        System.out.printf("CNN: pretrain accuracy (classes 0-4) %.4f; fine-tuned accuracy (classes 5-9, backbone frozen) %.4f%n",
                pretrainAccuracy, accuracy);
        assertTrue(accuracy >= TARGET_ACCURACY, "fine-tuned accuracy " + accuracy + " below the stated " + TARGET_ACCURACY);

        float[] after = finetune.server().assemble();
        int frozen = 0;
        for (NamedParam p : start.params().params()) {
            if (!p.name().startsWith("backbone.")) continue;
            assertArrayEquals(RawBits.of(Arrays.copyOfRange(before, (int) p.offset(), (int) p.end())),
                    RawBits.of(Arrays.copyOfRange(after, (int) p.offset(), (int) p.end())), p.name());
            frozen++;
        }
        assertEquals(12, frozen, "two convolutions (W, b) and two BatchNorms (gamma, beta, mean, log10stdev)");
    }
}
