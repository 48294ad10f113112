package dev.permafrost.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;

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

    /**
     * Reads a record back, with every field of it (and of the records it holds) present: Gson alone would read a
     * missing number as 0, and a damaged file must not pass for a valid one. {@code what} names the file in errors.
     */
    public static <T> T read(String json, Class<T> type, String what) {
        try {
            JsonElement tree = JsonParser.parseString(json);
            requireComplete(tree, type, what);
            return GSON.fromJson(tree, type);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(what + " is not valid JSON of the expected form: " + e.getMessage(), e);
        }
    }

    private static void requireComplete(JsonElement element, Type type, String where) {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : type instanceof Class<?> c ? c : Object.class;
        if (raw.isRecord()) {
            if (!element.isJsonObject()) throw new IllegalArgumentException(where + " should be a JSON object");
            JsonObject object = element.getAsJsonObject();
            for (RecordComponent component : raw.getRecordComponents()) {
                JsonElement value = object.get(component.getName());
                if (value == null || value.isJsonNull()) throw new IllegalArgumentException(where + " lacks '" + component.getName() + "'");
                requireComplete(value, component.getGenericType(), where + "." + component.getName());
            }
        } else if (List.class.isAssignableFrom(raw) && type instanceof ParameterizedType list) {
            if (!element.isJsonArray()) throw new IllegalArgumentException(where + " should be a JSON array");
            int i = 0;
            for (JsonElement item : element.getAsJsonArray()) requireComplete(item, list.getActualTypeArguments()[0], where + "[" + i++ + "]");
        }
    }
}
