package labs.sandwich.puck.api;

import java.time.Duration;

/**
 * When an idle sprite goes to sleep, in up to three tiers. Each tier is a time without
 * activity (no exec or console session, no keep-alive, no network traffic); {@link Duration#ZERO}
 * switches a tier off. Tiers that are on come in order: pause, then hibernate, then archive.
 *
 * <ul>
 *   <li>{@code pauseAfter}: freeze the sprite (cgroup freezer). Memory stays in RAM and it wakes
 *       in milliseconds.
 *   <li>{@code hibernateAfter}: checkpoint its memory to disk; RAM is freed.
 *   <li>{@code archiveAfter}: export the checkpoint and remove everything else the runtime holds
 *       for it but its volumes; waking takes longer.
 * </ul>
 *
 * A runtime that lacks a tier's capability skips that tier. Sprites sleep by themselves only
 * while an idle monitor runs for their store ({@code puckd}, or a {@code Puck} built with
 * {@code monitorIdle(true)}).
 *
 * @param pauseAfter     idle time before pausing; zero for never
 * @param hibernateAfter idle time before hibernating; zero for never
 * @param archiveAfter   idle time before archiving; zero for never
 */
public record SleepPolicy(Duration pauseAfter, Duration hibernateAfter, Duration archiveAfter) {
    /** The longest tier accepted. */
    public static final Duration MAX = Duration.ofDays(365);
    /** Pause after 30 s, hibernate after 15 min, never archive. */
    public static final SleepPolicy DEFAULT = new SleepPolicy(Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ZERO);
    /** Never sleep by itself. */
    public static final SleepPolicy NEVER = new SleepPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** Validates each tier and their order. */
    public SleepPolicy {
        require("sleep.pauseAfter", pauseAfter);
        require("sleep.hibernateAfter", hibernateAfter);
        require("sleep.archiveAfter", archiveAfter);
        requireOrder("sleep.hibernateAfter", pauseAfter, hibernateAfter);
        requireOrder("sleep.archiveAfter", hibernateAfter, archiveAfter);
        requireOrder("sleep.archiveAfter", pauseAfter, archiveAfter);
    }

    /** @param d idle time before pausing, zero for never @return a copy with it */
    public SleepPolicy withPauseAfter(Duration d) {
        return new SleepPolicy(d, hibernateAfter, archiveAfter);
    }

    /** @param d idle time before hibernating, zero for never @return a copy with it */
    public SleepPolicy withHibernateAfter(Duration d) {
        return new SleepPolicy(pauseAfter, d, archiveAfter);
    }

    /** @param d idle time before archiving, zero for never @return a copy with it */
    public SleepPolicy withArchiveAfter(Duration d) {
        return new SleepPolicy(pauseAfter, hibernateAfter, d);
    }

    /** @return whether any tier is on */
    public boolean sleeps() {
        return !pauseAfter.isZero() || !hibernateAfter.isZero() || !archiveAfter.isZero();
    }

    private static void require(String field, Duration d) {
        if (d == null || d.isNegative() || d.compareTo(MAX) > 0) {
            throw new InvalidSpecException(field, "Invalid idle time " + d + ".",
                    "Use Duration.ZERO (never) or a positive duration up to " + MAX.toDays() + " days, e.g. Duration.ofMinutes(15).");
        }
    }

    private static void requireOrder(String field, Duration earlier, Duration later) {
        if (!earlier.isZero() && !later.isZero() && later.compareTo(earlier) <= 0) {
            throw new InvalidSpecException(field, "The sleep tiers are out of order: " + later + " is not after " + earlier + ".",
                    "Make each tier that is on longer than the one before it: pause < hibernate < archive (Duration.ZERO switches one off).");
        }
    }
}
