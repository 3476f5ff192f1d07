package labs.sandwich.puck.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Resources;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * {@link SpriteSpec} to JSON and back, field by field with Jackson's tree model, so the stored
 * format is written down here and never depends on what reflection makes of the API types.
 *
 * <p>Format {@code "v":1}: durations are ISO-8601 strings, readiness a tagged object
 * ({@code {"type":"http","port":8080,"path":"/health"}}). Fields it does not know are ignored,
 * so a newer Puck may add some; a change an older Puck could misread takes a new {@code v},
 * which this one refuses.
 */
public final class SpecCodec {
    /** The format version written, and the only one read. */
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecCodec() {}

    /**
     * @param spec a spec
     * @return its JSON, on one line
     */
    public static String toJson(SpriteSpec spec) {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", VERSION);
        n.put("name", spec.name());
        n.put("image", spec.image().reference());
        n.put("idleTimeout", spec.idleTimeout().toString()); // still written: what a Puck before sleep tiers reads
        n.putObject("sleep")
                .put("pauseAfter", spec.sleep().pauseAfter().toString())
                .put("hibernateAfter", spec.sleep().hibernateAfter().toString())
                .put("archiveAfter", spec.sleep().archiveAfter().toString());
        n.putObject("resources")
                .put("cpus", spec.resources().cpus())
                .put("memoryBytes", spec.resources().memoryBytes())
                .put("storageBytes", spec.resources().storageBytes());
        spec.env().forEach(n.putObject("env")::put);
        spec.ports().forEach(n.putArray("ports")::add);
        spec.sshKeys().forEach(n.putArray("sshKeys")::add);
        spec.labels().forEach(n.putObject("labels")::put);
        n.set("readiness", readiness(spec.readiness()));
        ObjectNode h = n.putObject("hooks").put("timeout", spec.hooks().timeout().toString());
        spec.hooks().preSleep().forEach(h.putArray("preSleep")::add);
        spec.hooks().postWake().forEach(h.putArray("postWake")::add);
        return n.toString();
    }

    /**
     * @param json what {@link #toJson} wrote
     * @return the spec, validated again by its constructor
     * @throws IllegalArgumentException if it is not such JSON, or has another format version
     * @throws labs.sandwich.puck.api.InvalidSpecException if a value is invalid
     */
    public static SpriteSpec fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The stored spec is not JSON: " + e.getOriginalMessage(), e);
        }
        int version = n.path("v").asInt(-1);
        if (version != VERSION) {
            throw new IllegalArgumentException("The stored spec has format version " + (version < 0 ? "(none)" : version)
                    + "; this Puck reads version " + VERSION + ".");
        }
        JsonNode r = n.path("resources");
        return new SpriteSpec(text(n, "name"), ImageRef.of(text(n, "image")), sleep(n),
                new Resources(r.path("cpus").asDouble(), r.path("memoryBytes").asLong(), r.path("storageBytes").asLong()),
                strings(n.path("env")), ints(n.path("ports")), texts(n.path("sshKeys")), strings(n.path("labels")),
                readiness(n.path("readiness")), hooks(n.path("hooks")));
    }

    /** Specs written before sleep tiers have only {@code idleTimeout}: it becomes the hibernate tier, as withIdleTimeout does. */
    private static SleepPolicy sleep(JsonNode n) {
        JsonNode s = n.path("sleep");
        if (s.isMissingNode()) {
            return SpriteSpec.named("x").withIdleTimeout(duration(text(n, "idleTimeout"))).sleep();
        }
        return new SleepPolicy(duration(text(s, "pauseAfter")), duration(text(s, "hibernateAfter")), duration(text(s, "archiveAfter")));
    }

    private static SleepHooks hooks(JsonNode h) {
        if (h.isMissingNode()) {
            return SleepHooks.NONE;
        }
        return new SleepHooks(texts(h.path("preSleep")), texts(h.path("postWake")), duration(text(h, "timeout")));
    }

    private static ObjectNode readiness(Readiness readiness) {
        ObjectNode n = JSON.createObjectNode();
        switch (readiness) {
            case Readiness.None none -> n.put("type", "none");
            case Readiness.Port p -> n.put("type", "port").put("port", p.port());
            case Readiness.Http h -> n.put("type", "http").put("port", h.port()).put("path", h.path());
            case Readiness.Command c -> {
                ArrayNode argv = n.put("type", "command").putArray("argv");
                c.argv().forEach(argv::add);
            }
            case Readiness.All a -> {
                ArrayNode checks = n.put("type", "all").putArray("checks");
                a.checks().forEach(check -> checks.add(readiness(check)));
            }
        }
        return n;
    }

    private static Readiness readiness(JsonNode n) {
        String type = text(n, "type");
        return switch (type) {
            case "none" -> Readiness.NONE;
            case "port" -> new Readiness.Port(n.path("port").asInt());
            case "http" -> new Readiness.Http(n.path("port").asInt(), text(n, "path"));
            case "command" -> new Readiness.Command(texts(n.path("argv")));
            case "all" -> {
                List<Readiness> checks = new ArrayList<>();
                n.path("checks").forEach(check -> checks.add(readiness(check)));
                yield new Readiness.All(checks);
            }
            // Treating an unknown check as none would report a sprite ready before it is.
            default -> throw new IllegalArgumentException("The stored spec has an unknown readiness type '" + type + "'.");
        };
    }

    private static String text(JsonNode n, String field) {
        JsonNode value = n.path(field);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("The stored spec has no text field '" + field + "'.");
        }
        return value.asText();
    }

    private static Duration duration(String iso) {
        try {
            return Duration.parse(iso);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("The stored spec has an invalid duration '" + iso + "'.", e);
        }
    }

    private static Map<String, String> strings(JsonNode n) {
        Map<String, String> m = new LinkedHashMap<>();
        n.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private static List<String> texts(JsonNode n) {
        List<String> l = new ArrayList<>();
        n.forEach(x -> l.add(x.asText()));
        return l;
    }

    private static List<Integer> ints(JsonNode n) {
        List<Integer> l = new ArrayList<>();
        n.forEach(x -> l.add(x.asInt()));
        return l;
    }
}
