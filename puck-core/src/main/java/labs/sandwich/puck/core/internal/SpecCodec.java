package labs.sandwich.puck.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Resources;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * {@link SpriteSpec} to JSON and back, field by field with Jackson's tree model: the stored
 * format is explicit and versioned ({@code "v":1}), never whatever reflection makes of the
 * API types. Unknown fields are ignored so a newer Puck's additions do not break an older read.
 */
public final class SpecCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecCodec() {}

    /** @param spec a spec @return its JSON */
    public static String toJson(SpriteSpec spec) {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", 1);
        n.put("name", spec.name());
        n.put("image", spec.image().reference());
        n.put("idleTimeout", spec.idleTimeout().toString());
        ObjectNode r = n.putObject("resources");
        r.put("cpus", spec.resources().cpus());
        r.put("memoryBytes", spec.resources().memoryBytes());
        r.put("storageBytes", spec.resources().storageBytes());
        spec.env().forEach(n.putObject("env")::put);
        spec.ports().forEach(n.putArray("ports")::add);
        spec.sshKeys().forEach(n.putArray("sshKeys")::add);
        spec.labels().forEach(n.putObject("labels")::put);
        n.set("readiness", readiness(spec.readiness()));
        return n.toString();
    }

    /** @param json what {@link #toJson} wrote @return the spec, validated again */
    public static SpriteSpec fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("stored spec is not JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode r = n.path("resources");
        return new SpriteSpec(n.path("name").asText(), ImageRef.of(n.path("image").asText()),
                Duration.parse(n.path("idleTimeout").asText()),
                new Resources(r.path("cpus").asDouble(), r.path("memoryBytes").asLong(), r.path("storageBytes").asLong()),
                strings(n.path("env")), ints(n.path("ports")), texts(n.path("sshKeys")), strings(n.path("labels")),
                readiness(n.path("readiness")));
    }

    private static ObjectNode readiness(Readiness readiness) {
        ObjectNode n = JSON.createObjectNode();
        switch (readiness) {
            case Readiness.None none -> n.put("type", "none");
            case Readiness.Port p -> n.put("type", "port").put("port", p.port());
            case Readiness.Http h -> n.put("type", "http").put("port", h.port()).put("path", h.path());
            case Readiness.Command c -> {
                n.put("type", "command");
                c.argv().forEach(n.putArray("argv")::add);
            }
            case Readiness.All a -> {
                n.put("type", "all");
                ArrayNode checks = n.putArray("checks");
                a.checks().forEach(x -> checks.add(readiness(x)));
            }
        }
        return n;
    }

    private static Readiness readiness(JsonNode n) {
        return switch (n.path("type").asText("none")) {
            case "port" -> new Readiness.Port(n.path("port").asInt());
            case "http" -> new Readiness.Http(n.path("port").asInt(), n.path("path").asText());
            case "command" -> new Readiness.Command(texts(n.path("argv")));
            case "all" -> {
                List<Readiness> checks = new ArrayList<>();
                n.path("checks").forEach(c -> checks.add(readiness(c)));
                yield new Readiness.All(checks);
            }
            default -> Readiness.NONE;
        };
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
