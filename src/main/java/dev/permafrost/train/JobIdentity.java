package dev.permafrost.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What makes a run the run it is: the source model's SHA-256, the data (location, row count, digest of the row
 * indices), workers, batch, the optimizer with every hyper-parameter, the freeze schedule, the seeds and the model
 * spec, each as a named text field. Every checkpoint carries it, and resuming compares it field by field: a checkpoint
 * belongs to one job.
 */
public record JobIdentity(Map<String, String> fields) {

    /** No identity: for runs that write no checkpoints a job could resume from. */
    public static final JobIdentity NONE = new JobIdentity(Map.of());

    public JobIdentity {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** Every field in which {@code saved} differs from this job, with both values; empty when they are the same job. */
    public List<String> differences(JobIdentity saved) {
        Set<String> keys = new LinkedHashSet<>(fields.keySet());
        keys.addAll(saved.fields.keySet());
        List<String> out = new ArrayList<>();
        for (String key : keys) {
            String now = fields.getOrDefault(key, "(not set)");
            String then = saved.fields.getOrDefault(key, "(not set)");
            if (!now.equals(then)) out.add(key + ": the checkpoint has '" + then + "', this job '" + now + "'");
        }
        return out;
    }
}
