package labs.sandwich.puck.core.internal;

import java.time.Instant;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;

/**
 * A sprite as the store records it.
 *
 * @param name       its name
 * @param runtime    the runtime holding it
 * @param state      its recorded state
 * @param spec       what it was created from
 * @param createdAt  when it was created
 * @param stateSince when it entered {@code state}
 */
public record SpriteRecord(String name, String runtime, SpriteState state, SpriteSpec spec, Instant createdAt, Instant stateSince) {}
