package labs.sandwich.puck.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.SpriteState;

/** The one reading of a {@link SleepPolicy} that both the idle monitor and {@code why()} use. */
final class SleepTiers {
    /**
     * One tier.
     *
     * @param into  the state it puts the sprite in
     * @param after the idle time it needs
     * @param rule  its name and value, e.g. {@code sleep.pauseAfter = PT30S}
     */
    record Tier(SpriteState into, Duration after, String rule) {}

    private SleepTiers() {}

    /**
     * @param state        the sprite's state
     * @param policy       its policy
     * @param capabilities what the runtime can do; a tier it cannot do is skipped
     * @return the tiers still ahead of a sprite in {@code state}, shallowest first
     */
    static List<Tier> ahead(SpriteState state, SleepPolicy policy, Set<Capability> capabilities) {
        List<Tier> all = new ArrayList<>();
        if (state == SpriteState.RUNNING) {
            add(all, SpriteState.PAUSED, policy.pauseAfter(), "sleep.pauseAfter", capabilities.contains(Capability.PAUSE));
        }
        if (state == SpriteState.RUNNING || state == SpriteState.PAUSED) {
            add(all, SpriteState.HIBERNATED, policy.hibernateAfter(), "sleep.hibernateAfter", capabilities.contains(Capability.HIBERNATE));
        }
        if (state == SpriteState.RUNNING || state == SpriteState.PAUSED || state == SpriteState.HIBERNATED) {
            add(all, SpriteState.ARCHIVED, policy.archiveAfter(), "sleep.archiveAfter",
                    capabilities.contains(Capability.ARCHIVE) && capabilities.contains(Capability.HIBERNATE));
        }
        return all;
    }

    /** @return the deepest tier due after {@code idle}: a sprite idle past the hibernate tier goes straight there */
    static Optional<Tier> due(List<Tier> tiers, Duration idle) {
        return tiers.stream().filter(t -> t.after().compareTo(idle) <= 0).reduce((a, b) -> b);
    }

    /** @return the tier that fires next: the one due now, else the first one ahead */
    static Optional<Tier> next(List<Tier> tiers, Duration idle) {
        return due(tiers, idle).or(() -> tiers.stream().findFirst());
    }

    private static void add(List<Tier> all, SpriteState into, Duration after, String rule, boolean capable) {
        if (!after.isZero() && capable) {
            all.add(new Tier(into, after, rule + " = " + after));
        }
    }
}
