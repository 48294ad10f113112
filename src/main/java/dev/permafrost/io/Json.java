package dev.permafrost.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

/**
 * The JSON the project writes and reads (metrics.json, audit.json, checkpoint manifests, {@code params --json}): records
 * turned into JSON by one library call, pretty-printed, without HTML escaping, so {@code pretrained.*} reads as written
 * and not as {@code \u003d}.
 */
public final class Json {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private Json() {
    }

    public static String write(Object value) {
        return GSON.toJson(value);
    }

    /** Reads a record back; {@code what} names the file in the error. */
    public static <T> T read(String json, Class<T> type, String what) {
        try {
            T value = GSON.fromJson(json, type);
            if (value == null) throw new IllegalArgumentException(what + " is empty");
            return value;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(what + " is not valid JSON of the expected form: " + e.getMessage(), e);
        }
    }
}
