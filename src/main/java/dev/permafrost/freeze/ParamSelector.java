package dev.permafrost.freeze;

import dev.permafrost.model.NamedParam;
import dev.permafrost.model.ParamTable;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Picks parameters by name or by layer position. Written as text in job files and on the command line:
 * <ul>
 *   <li>{@code pretrained.*} — a glob over the full name; {@code *} matches any characters (dots included), {@code ?} one;</li>
 *   <li>{@code re:^features\.[0-3]\.} — a Java regular expression, found anywhere in the name (anchor it with ^ and $);</li>
 *   <li>{@code layers:0-2} — layers 0 to 2 inclusive by position ({@code layers:3} for one layer);</li>
 *   <li>{@code all-but-last:1} — every layer except the last N layers that have parameters.</li>
 * </ul>
 */
public sealed interface ParamSelector {

    /** The selector as the user wrote it: errors quote it back. */
    String text();

    boolean matches(NamedParam param, ParamTable table);

    static ParamSelector parse(String text) {
        if (text == null || text.isBlank()) {
            throw new FreezePlanException("empty freeze pattern: write a glob such as 'pretrained.*', 're:REGEX', "
                    + "'layers:FROM-TO' or 'all-but-last:N'");
        }
        String t = text.strip();
        if (t.startsWith("re:")) return Regex.of(t);
        if (t.startsWith("layers:")) return LayerRange.of(t);
        if (t.startsWith("all-but-last:")) return AllButLast.of(t);
        return Glob.of(t);
    }

    record Glob(String text, Pattern pattern) implements ParamSelector {
        static Glob of(String text) {
            StringBuilder re = new StringBuilder();
            for (char c : text.toCharArray()) {
                switch (c) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    default -> re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return new Glob(text, Pattern.compile(re.toString()));
        }

        @Override
        public boolean matches(NamedParam param, ParamTable table) {
            return pattern.matcher(param.name()).matches();
        }
    }

    record Regex(String text, Pattern pattern) implements ParamSelector {
        static Regex of(String text) {
            String body = text.substring(3);
            try {
                return new Regex(text, Pattern.compile(body));
            } catch (PatternSyntaxException e) {
                throw new FreezePlanException("freeze pattern '" + text + "' is not a valid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex());
            }
        }

        @Override
        public boolean matches(NamedParam param, ParamTable table) {
            return pattern.matcher(param.name()).find();
        }
    }

    record LayerRange(String text, int from, int to) implements ParamSelector {
        private static final Pattern FORM = Pattern.compile("layers:(\\d+)(?:-(\\d+))?");

        static LayerRange of(String text) {
            Matcher m = FORM.matcher(text);
            if (!m.matches()) {
                throw new FreezePlanException("freeze pattern '" + text + "' is not a layer range: write 'layers:FROM-TO' "
                        + "(inclusive, counted from 0) or 'layers:N'");
            }
            int from;
            int to;
            try {
                from = Integer.parseInt(m.group(1));
                to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                throw new FreezePlanException("freeze pattern '" + text + "': a layer index must be at most " + Integer.MAX_VALUE
                        + "; 'params --model FILE' lists the layers with their indices");
            }
            if (to < from) {
                throw new FreezePlanException("freeze pattern '" + text + "': the range ends (" + to + ") before it starts ("
                        + from + ")");
            }
            return new LayerRange(text, from, to);
        }

        @Override
        public boolean matches(NamedParam param, ParamTable table) {
            return param.layerIndex() >= from && param.layerIndex() <= to;
        }
    }

    record AllButLast(String text, int count) implements ParamSelector {
        static AllButLast of(String text) {
            String body = text.substring("all-but-last:".length());
            try {
                int n = Integer.parseInt(body); // too large a number is a NumberFormatException too
                if (n < 0) throw new NumberFormatException();
                return new AllButLast(text, n);
            } catch (NumberFormatException e) {
                throw new FreezePlanException("freeze pattern '" + text + "': N must be a whole number >= 0, as in 'all-but-last:1'");
            }
        }

        /** Layers without parameters (pooling, activations, a loss layer) are not counted among the last N. */
        @Override
        public boolean matches(NamedParam param, ParamTable table) {
            int[] withParams = table.params().stream().mapToInt(NamedParam::layerIndex).distinct().sorted().toArray();
            if (count == 0) return true;
            if (count >= withParams.length) return false;
            return param.layerIndex() < withParams[withParams.length - count];
        }
    }
}
