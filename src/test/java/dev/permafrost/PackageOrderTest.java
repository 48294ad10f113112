package dev.permafrost;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package order written in {@code dev/permafrost/package-info.java} is true: no main class refers to a package
 * listed below its own, and every package says what belongs in it.
 */
class PackageOrderTest {
    private static final Path MAIN = Path.of("src/main/java/dev/permafrost");
    private static final Pattern LISTED = Pattern.compile("<li>\\{@code ([a-z.]+)}");
    private static final Pattern REFERENCE = Pattern.compile("dev\\.permafrost\\.([a-z]+)\\b");

    static List<String> order() throws IOException {
        List<String> order = new ArrayList<>();
        Matcher m = LISTED.matcher(Files.readString(MAIN.resolve("package-info.java")));
        while (m.find()) order.add(m.group(1));
        return order;
    }

    @Test
    void everyPackageIsListedAndImportsOnlyPackagesBelowIt() throws IOException {
        List<String> order = order();
        List<String> upward = new ArrayList<>();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path dir = MAIN.relativize(file.getParent());
                if (dir.toString().isEmpty()) continue;
                String own = dir.getName(0).toString();
                if (!found.contains(own)) found.add(own);
                assertTrue(order.contains(own), "package " + own + " is missing from the order in package-info.java");
                Matcher m = REFERENCE.matcher(Files.readString(file).replaceFirst("package [\\w.]+;", ""));
                while (m.find()) {
                    String used = m.group(1);
                    if (order.indexOf(used) > order.indexOf(own)) upward.add(MAIN.relativize(file) + " uses " + used);
                }
            }
        }
        assertEquals(List.of(), upward, "imports that point up the package order");
        assertEquals(order.stream().filter(found::contains).toList(), order.stream().filter(p -> !p.contains(".")).toList(),
                "every listed package exists");
    }

    @Test
    void everyPackageSaysWhatBelongsInIt() throws IOException {
        try (Stream<Path> dirs = Files.walk(MAIN)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.list(dir)) {
                    if (files.noneMatch(p -> p.toString().endsWith(".java"))) continue;
                }
                assertTrue(Files.isRegularFile(dir.resolve("package-info.java")), dir + " has no package-info.java");
            }
        }
    }
}
