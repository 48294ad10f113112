package dev.permafrost.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/** Lists a network's parameters with the label a freeze plan gives each: the table users otherwise print by hand. */
@Command(name = "params", mixinStandardHelpOptions = true,
        description = "List every parameter (name, kind, shape, offset, length) and whether the plan freezes it.")
final class ParamsCommand implements Callable<Integer> {
    @Mixin
    ModelSource source;
    @Mixin
    FreezeOptions freeze;
    @Option(names = "--json", description = "Print JSON for tools instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        ParamTable table = source.load().params();
        ParamLabels labels = freeze.plan().resolve(table);
        PrintStream out = System.out;
        if (json) {
            out.println(toJson(labels));
        } else {
            printTable(labels, out);
        }
        return 0;
    }

    static String toJson(ParamLabels labels) {
        JsonObject root = new JsonObject();
        JsonArray params = new JsonArray();
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            JsonObject o = new JsonObject();
            o.addProperty("name", p.name());
            o.addProperty("layer", p.layerName());
            o.addProperty("layerIndex", p.layerIndex());
            o.addProperty("key", p.key());
            JsonArray shape = new JsonArray();
            p.shape().forEach(shape::add);
            o.add("shape", shape);
            o.addProperty("offset", p.offset());
            o.addProperty("length", p.length());
            o.addProperty("kind", p.kind().label());
            o.addProperty("label", labels.label(i).text());
            params.add(o);
        }
        root.add("params", params);
        root.addProperty("trainableElements", labels.elements(Label.TRAINABLE));
        root.addProperty("frozenElements", labels.elements(Label.FROZEN));
        return new GsonBuilder().setPrettyPrinting().create().toJson(root);
    }

    static void printTable(ParamLabels labels, PrintStream out) {
        ParamTable table = labels.table();
        int nameWidth = "name".length();
        for (NamedParam p : table.params()) nameWidth = Math.max(nameWidth, p.name().length());
        String row = "%-" + nameWidth + "s  %-14s  %-10s  %10s  %10s  %s%n";
        out.printf(row, "name", "kind", "shape", "offset", "length", "label");
        for (int i = 0; i < table.size(); i++) {
            NamedParam p = table.get(i);
            out.printf(row, p.name(), p.kind().label(), p.shapeText(), p.offset(), p.length(), labels.label(i).text());
        }
        long trainable = labels.elements(Label.TRAINABLE);
        long frozen = labels.elements(Label.FROZEN);
        out.printf("%d parameters, %d elements: %d trainable, %d frozen (%.1f%% frozen)%n", table.size(), trainable + frozen,
                trainable, frozen, 100.0 * frozen / Math.max(1, trainable + frozen));
    }
}
