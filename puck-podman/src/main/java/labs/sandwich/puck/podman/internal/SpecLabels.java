package labs.sandwich.puck.podman.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.SleepHooks;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * A sprite's spec as container labels, so that a sprite can be adopted from Podman alone
 * (after a lost store, or from its archive record, which keeps the same labels). The sleep
 * policy and the hooks are one JSON label each, so an argv travels as a JSON array and needs
 * no escaping; labels written before they existed (only {@code puck.idle-timeout}) still decode.
 */
final class SpecLabels {
    static final String MANAGED = "managed-by";
    static final String PUCK = "puck";
    static final String SPRITE = "puck.sprite";
    /** Written for readers that predate {@link #SLEEP}; read only when {@link #SLEEP} is absent. */
    static final String IDLE = "puck.idle-timeout";
    static final String SLEEP = "puck.sleep";
    static final String HOOKS = "puck.hooks";
    static final String PORTS = "puck.ports";
    static final String ENV_KEYS = "puck.env-keys";
    static final String USER_LABEL = "puck.user.";

    private final ObjectMapper json;

    SpecLabels(ObjectMapper json) {
        this.json = json;
    }

    /** @return the labels that describe this spec */
    Map<String, String> encode(SpriteSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED, PUCK);
        labels.put(SPRITE, spec.name());
        labels.put(IDLE, spec.idleTimeout().toString());
        ObjectNode sleep = json.createObjectNode();
        sleep.put("pauseAfter", spec.sleep().pauseAfter().toString());
        sleep.put("hibernateAfter", spec.sleep().hibernateAfter().toString());
        sleep.put("archiveAfter", spec.sleep().archiveAfter().toString());
        labels.put(SLEEP, sleep.toString());
        ObjectNode hooks = json.createObjectNode();
        spec.hooks().preSleep().forEach(hooks.putArray("preSleep")::add);
        spec.hooks().postWake().forEach(hooks.putArray("postWake")::add);
        hooks.put("timeout", spec.hooks().timeout().toString());
        labels.put(HOOKS, hooks.toString());
        labels.put(PORTS, spec.ports().stream().map(String::valueOf).collect(Collectors.joining(",")));
        labels.put(ENV_KEYS, String.join(",", spec.env().keySet()));
        spec.labels().forEach((k, v) -> labels.put(USER_LABEL + k, v));
        return labels;
    }

    /**
     * Rebuilds a spec.
     *
     * @param labels the container's labels
     * @param image  its image
     * @param env    its environment ({@code KEY=value}); only the keys the spec named are kept
     * @return the spec
     */
    SpriteSpec decode(Map<String, String> labels, String image, List<String> env) {
        String name = labels.get(SPRITE);
        Map<String, String> kept = new LinkedHashMap<>();
        List<String> keys = split(labels.getOrDefault(ENV_KEYS, ""));
        for (String kv : env == null ? List.<String>of() : env) {
            int eq = kv.indexOf('=');
            if (eq > 0 && keys.contains(kv.substring(0, eq))) {
                kept.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        List<Integer> ports = split(labels.getOrDefault(PORTS, "")).stream().map(Integer::valueOf).toList();
        SpriteSpec.Builder b = SpriteSpec.named(name).toBuilder().image(ImageRef.of(image)).env(kept).ports(ports).sleep(sleep(labels)).hooks(hooks(labels));
        SpriteSpec spec = b.build();
        for (var e : labels.entrySet()) {
            if (e.getKey().startsWith(USER_LABEL)) {
                spec = spec.withLabel(e.getKey().substring(USER_LABEL.length()), e.getValue());
            }
        }
        return spec;
    }

    private SleepPolicy sleep(Map<String, String> labels) {
        String s = labels.get(SLEEP);
        if (s != null) {
            try {
                JsonNode n = json.readTree(s);
                return new SleepPolicy(Duration.parse(n.path("pauseAfter").asText("PT0S")), Duration.parse(n.path("hibernateAfter").asText("PT0S")),
                        Duration.parse(n.path("archiveAfter").asText("PT0S")));
            } catch (IOException | RuntimeException unreadable) {
                // edited by hand: fall back to the idle timeout below
            }
        }
        Duration idle = Duration.parse(labels.getOrDefault(IDLE, SpriteSpec.DEFAULT_IDLE_TIMEOUT.toString()));
        return SpriteSpec.named("x").withIdleTimeout(idle).sleep();
    }

    private SleepHooks hooks(Map<String, String> labels) {
        String s = labels.get(HOOKS);
        if (s == null) {
            return SleepHooks.NONE;
        }
        try {
            JsonNode n = json.readTree(s);
            return new SleepHooks(strings(n.path("preSleep")), strings(n.path("postWake")), Duration.parse(n.path("timeout").asText(SleepHooks.NONE.timeout().toString())));
        } catch (IOException | RuntimeException unreadable) {
            return SleepHooks.NONE;
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    private static List<String> split(String csv) {
        return Arrays.stream(csv.split(",")).filter(s -> !s.isEmpty()).toList();
    }
}
