package labs.sandwich.puck.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why a sprite is in the state it is in, and when it will change by itself: the answer to
 * "why is it awake?" and "why did it sleep?". From {@code sprite.why()} and {@code puck why}.
 *
 * @param sprite       the sprite
 * @param state        its state now
 * @param since        since when
 * @param cause        what put it in that state, e.g. {@code "idle monitor: no activity for PT15M (sleep.hibernateAfter)"}
 * @param lastActivity the last activity seen, if any
 * @param awakeBecause what keeps it awake now: open sessions, keep-alives, recent traffic; empty if nothing
 * @param nextSleep    when it will go to sleep by itself and into which state, if it will
 * @param notes        anything else worth knowing, e.g. that no idle monitor runs
 */
public record Why(String sprite, SpriteState state, Instant since, String cause, Optional<Activity> lastActivity,
        List<Activity> awakeBecause, Optional<NextSleep> nextSleep, List<String> notes) {

    /** Copies the lists. */
    public Why {
        awakeBecause = List.copyOf(awakeBecause);
        notes = List.copyOf(notes);
    }

    /** What counts as activity. */
    public enum Kind {
        /** A command run with {@code exec}, open while it runs. */
        EXEC,
        /** An interactive console, open until closed. */
        CONSOLE,
        /** A file copied in or out. */
        FILES,
        /** A keep-alive lease. */
        KEEP_ALIVE,
        /** Network traffic to or from the sprite. */
        TRAFFIC,
        /** The sprite was created, woken or restored. */
        LIFECYCLE
    }

    /**
     * One piece of activity.
     *
     * @param kind   what it is
     * @param detail e.g. the command, the lease's reason, the byte counts
     * @param at     when it started or was seen
     * @param until  when it ends by itself (a lease's expiry), if it does
     */
    public record Activity(Kind kind, String detail, Instant at, Optional<Instant> until) {}

    /**
     * A sleep the idle monitor will do unless something happens first.
     *
     * @param at   when
     * @param into the state it will go to
     * @param rule the tier that will fire, e.g. {@code sleep.pauseAfter = PT30S}
     */
    public record NextSleep(Instant at, SpriteState into, String rule) {}

    /** @return the explanation as a few lines of text, as {@code puck why} prints it */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(sprite).append(" is ").append(state).append(" since ").append(since).append(": ").append(cause);
        lastActivity.ifPresent(a -> b.append("\n  last activity: ").append(line(a)));
        if (!awakeBecause.isEmpty()) {
            b.append("\n  kept awake by: ").append(awakeBecause.stream().map(Why::line).collect(Collectors.joining("; ")));
        }
        nextSleep.ifPresent(n -> b.append("\n  sleeps: ").append(n.into()).append(" at ").append(n.at()).append(" (").append(n.rule()).append(')'));
        notes.forEach(n -> b.append("\n  note: ").append(n));
        return b.toString();
    }

    private static String line(Activity a) {
        return a.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + a.detail() + " at " + a.at() + a.until().map(u -> " until " + u).orElse("");
    }
}
