package dev.permafrost.testing;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.weights.WeightInitRelu;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.LeNet;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.VGG16;
import org.deeplearning4j.zoo.model.Xception;

/**
 * Models nobody here built: DL4J's own model zoo ({@code deeplearning4j-zoo}), each configured and initialised by DL4J
 * (no pretrained weights are downloaded), at the smallest input each accepts, so tests stay quick.
 */
public final class ZooModels {
    private ZooModels() {
    }

    /** The zoo models the parameter map is checked on, by name. */
    public static final java.util.List<String> NAMES = java.util.List.of("LeNet", "ResNet50", "SqueezeNet", "Darknet19", "Xception", "VGG16");

    public static Model init(String name, int classes) {
        ZooModel<?> zoo = switch (name) {
            case "LeNet" -> LeNet.builder().numClasses(classes).inputShape(new int[]{1, 28, 28}).build();
            // He (ReLU) initialisation: the zoo's default gives a backbone whose outputs are NaN at this size.
            case "ResNet50" -> resNet50(classes);
            case "SqueezeNet" -> SqueezeNet.builder().numClasses(classes).inputShape(new int[]{3, 64, 64}).build();
            case "Darknet19" -> Darknet19.builder().numClasses(classes).inputShape(new int[]{3, 64, 64}).build();
            case "Xception" -> Xception.builder().numClasses(classes).inputShape(new int[]{3, 71, 71}).build();
            case "VGG16" -> VGG16.builder().numClasses(classes).inputShape(new int[]{3, 32, 32}).build();
            default -> throw new IllegalArgumentException("no zoo model " + name + "; there are " + NAMES);
        };
        return zoo.init();
    }

    /** ResNet50 reading 1x72x72 images (it needs at least about 66x66), He-initialised so its outputs are finite. */
    public static ResNet50 resNet50(int classes) {
        return ResNet50.builder().numClasses(classes).inputShape(new int[]{1, 72, 72}).weightInit(new WeightInitRelu()).build();
    }
}
