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
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .registerTypeAdapterFactory(new OptionalAdapters()).create();

    /**
     * An {@code Optional} field is its value when present and left out of the file when empty (Gson drops a name whose
     * value is null), so records say "absent" with a type instead of a null.
     */
    private static final class OptionalAdapters implements com.google.gson.TypeAdapterFactory {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public <T> com.google.gson.TypeAdapter<T> create(Gson gson, com.google.gson.reflect.TypeToken<T> type) {
            if (type.getRawType() != java.util.Optional.class) return null;
            Type inner = type.getType() instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            com.google.gson.TypeAdapter<Object> adapter = (com.google.gson.TypeAdapter<Object>) gson.getAdapter(com.google.gson.reflect.TypeToken.get(inner));
            return (com.google.gson.TypeAdapter<T>) new com.google.gson.TypeAdapter<java.util.Optional<?>>() {
                @Override
                public void write(com.google.gson.stream.JsonWriter out, java.util.Optional<?> value) throws java.io.IOException {
                    if (value == null || value.isEmpty()) out.nullValue();
                    else adapter.write(out, value.get());
                }

                @Override
                public java.util.Optional<?> read(com.google.gson.stream.JsonReader in) throws java.io.IOException {
                    if (in.peek() == com.google.gson.stream.JsonToken.NULL) {
                        in.nextNull();
                        return java.util.Optional.empty();
                    }
                    return java.util.Optional.ofNullable(adapter.read(in));
                }
            };
        }
    }

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
                if (component.getType() == java.util.Optional.class && (value == null || value.isJsonNull())) continue;
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
