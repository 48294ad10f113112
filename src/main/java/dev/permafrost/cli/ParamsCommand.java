package dev.permafrost.cli;

import dev.permafrost.freeze.Label;
import dev.permafrost.freeze.ParamLabels;
import dev.permafrost.io.Json;
import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;
import dev.permafrost.network.StoredParams;
import org.nd4j.linalg.api.buffer.DataType;
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
        StoredParams stored = source.load();
        ParamLabels labels = freeze.plan().resolve(stored.table());
        PrintStream out = System.out;
        if (json) {
            out.println(toJson(labels));
        } else {
            // A saved model's type is worth a mention (training takes float32 only); the demo network is always float32.
            printTable(labels, out, source.model != null ? stored.dataType() : null);
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
        printTable(labels, out, null);
    }

    /** The table, its summary line ending with the parameters' stored type when {@code storedAs} is not null. */
    static void printTable(ParamLabels labels, PrintStream out, DataType storedAs) {
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
        out.printf("%d parameters, %d elements: %d trainable, %d frozen (%.1f%% frozen)%s%n", table.size(), trainable + frozen,
                trainable, frozen, 100.0 * frozen / Math.max(1, trainable + frozen), storedAs == null ? "" : ", stored as " + storedAs);
    }
}
