package dev.permafrost.testing;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamKind;
import dev.permafrost.model.ParamTable;

import java.util.ArrayList;
import java.util.List;

/** Parameter tables built by hand, for tests of plans and layouts that need no network. */
public final class SampleTables {
    private SampleTables() {
    }

    /** features.0-3 (W, b each), bn (gamma, beta, mean, var), head (W, b): 7 layers. */
    public static ParamTable sevenLayers() {
        List<NamedParam> ps = new ArrayList<>();
        String[][] layers = {{"features.0", "W", "b"}, {"features.1", "W", "b"}, {"features.2", "W", "b"}, {"features.3", "W", "b"},
                {"pretrained.bn", "gamma", "beta", "mean", "var"}, {"pretrained.fc", "W", "b"}, {"head", "W", "b"}};
        long off = 0;
        for (int l = 0; l < layers.length; l++) {
            for (int k = 1; k < layers[l].length; k++) {
                String key = layers[l][k];
                ParamKind kind = switch (key) {
                    case "W" -> ParamKind.WEIGHT;
                    case "b" -> ParamKind.BIAS;
                    case "mean", "var" -> ParamKind.NORM_STATISTIC;
                    default -> ParamKind.NORM_SCALE;
                };
                ps.add(new NamedParam(layers[l][0] + "." + key, layers[l][0], l, key, List.of(4L), off, 4, kind));
                off += 4;
            }
        }
        return new ParamTable(ps, List.of("features.0", "features.1", "features.2", "features.3", "pretrained.bn", "pretrained.fc", "head"));
    }

}
