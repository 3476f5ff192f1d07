package labs.sandwich.puck.api;

import java.time.Instant;
import java.util.Map;

/**
 * A read-only view of a sprite at one moment.
 *
 * @param name       the sprite's name
 * @param state      its state
 * @param spec       what it was created from
 * @param runtime    the runtime holding it, e.g. {@code podman}
 * @param createdAt  when it was created
 * @param stateSince when it entered {@code state}
 * @param attributes runtime details for people (e.g. {@code container.id}, {@code ip}); no contract on keys
 */
public record SpriteInfo(
        String name, SpriteState state, SpriteSpec spec, String runtime, Instant createdAt, Instant stateSince,
        Map<String, String> attributes) {
    /** Copies the attributes. */
    public SpriteInfo {
        attributes = Map.copyOf(attributes);
    }

    /**
     * @param state     the new state
     * @param since     when it was entered
     * @return a copy in another state
     */
    public SpriteInfo withState(SpriteState state, Instant since) {
        return new SpriteInfo(name, state, spec, runtime, createdAt, since, attributes);
    }
}
