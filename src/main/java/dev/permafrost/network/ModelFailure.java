package dev.permafrost.network;

import java.util.Optional;

/**
 * A failure the model itself causes, the same on every try: DL4J refusing a shape or a configuration while computing a
 * gradient, or a frozen part whose outputs are not finite. Retrying the epoch cannot help, so the trainer stops at once
 * (exit 2) with the cause; a lost executor or a broken connection is retried as before.
 */
public final class ModelFailure extends IllegalArgumentException {
    /** What Spark's "stage failure" text carries of a task's exception: its class name, then ": " and its message. */
    private static final String MARKER = ModelFailure.class.getName() + ": ";

    public ModelFailure(String message, Throwable cause) {
        super(message, cause);
    }

    public ModelFailure(String message) {
        super(message);
    }

    /**
     * Whether DL4J's exception while computing a gradient is its refusal of the model (a shape, a configuration, a
     * missing error signal): DL4J's own invalid-input and invalid-configuration exceptions and the illegal-state or
     * illegal-argument errors its layers throw, unless they speak of memory or a device, which may pass on a retry.
     */
    static boolean refusal(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) return false;
            String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("alloc") || m.contains("memory") || m.contains("cuda") || m.contains("device")) return false;
        }
        return e instanceof org.deeplearning4j.exception.DL4JException || e instanceof IllegalStateException
                || e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException;
    }

    /**
     * The model failure behind {@code failure}, found in its cause chain or, for a task that failed on an executor, in
     * the text Spark reports of it (only the task's exception text crosses back to the driver).
     */
    public static Optional<ModelFailure> in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ModelFailure m) return Optional.of(m);
            String text = t.getMessage();
            int at = text == null ? -1 : text.indexOf(MARKER);
            if (at >= 0) {
                String rest = text.substring(at + MARKER.length());
                int end = rest.indexOf("\n\tat ");
                if (end < 0) end = rest.indexOf('\n');
                return Optional.of(new ModelFailure((end < 0 ? rest : rest.substring(0, end)).strip(), failure));
            }
        }
        return Optional.empty();
    }
}
