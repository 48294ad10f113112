package dev.permafrost.job;

import dev.permafrost.checkpoint.CheckpointStore;
import dev.permafrost.io.HadoopFiles;
import dev.permafrost.io.ProcessTemp;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** What killed runs left in an output folder and in this host's temp folder, removed at the next start. */
final class Leftovers {
    private Leftovers() {
    }

    /**
     * What killed runs left behind, removed now that this run holds the lock: hidden temporary files in the output
     * folder and its unfinished checkpoint folders, and this host's temporary files of processes that are gone.
     */
    static void remove(HadoopFiles files, String outDir, PrintStream out) {
        List<String> removed = new ArrayList<>();
        for (String n : files.list(outDir)) {
            if (n.startsWith(".") && (n.endsWith(".tmp") || n.endsWith(".tmp.crc"))) {
                files.deleteRecursively(outDir + "/" + n);
                removed.add(outDir + "/" + n);
            }
        }
        CheckpointStore.unfinishedWrites(files, outDir + "/checkpoints").forEach(n -> {
            files.deleteRecursively(outDir + "/checkpoints/" + n);
            removed.add(outDir + "/checkpoints/" + n);
        });
        ProcessTemp.removeLeftovers().forEach(p -> removed.add(p.toString()));
        if (!removed.isEmpty()) out.println("removed " + removed.size() + " leftovers of interrupted runs: " + String.join(", ", removed));
    }
}
