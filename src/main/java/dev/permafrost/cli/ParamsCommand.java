package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.Json;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
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

    /** One row of {@code params --json}. */
    record ParamRow(String name, String layer, int layerIndex, String key, List<Long> shape, long offset, long length, String kind,
                    String label) {
    }

    /** What {@code params --json} prints. */
    record ParamsJson(List<ParamRow> params, long trainableElements, long frozenElements) {
    }

    static String toJson(ParamLabels labels) {
        List<ParamRow> rows = new ArrayList<>();
        for (int i = 0; i < labels.table().size(); i++) {
            NamedParam p = labels.table().get(i);
            rows.add(new ParamRow(p.name(), p.layerName(), p.layerIndex(), p.key(), p.shape(), p.offset(), p.length(), p.kind().label(),
                    labels.label(i).text()));
        }
        return Json.write(new ParamsJson(rows, labels.elements(Label.TRAINABLE), labels.elements(Label.FROZEN)));
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
