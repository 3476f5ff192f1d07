package labs.sandwich.puck.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One state change of a sprite, as journaled in the state store: what was done, why, from which
 * state to which, and how it ended. Every process sharing the store sees every change, which
 * is what {@code puck logs} and {@code puck events --follow} show.
 *
 * @param sequence  its place in the store's journal, increasing
 * @param sprite    the sprite
 * @param operation e.g. {@code hibernate}, {@code wake}, {@code sleep cancelled}
 * @param from      the state before
 * @param to        the state after, empty while it runs (or if its process died; the next open repairs it)
 * @param startedAt when it began
 * @param took      how long it took, empty while it runs
 * @param cause     why, e.g. {@code requested} or the idle monitor's rule; may be empty
 * @param outcome   {@code ok} or what went wrong; empty while it runs
 */
public record Change(long sequence, String sprite, String operation, SpriteState from, Optional<SpriteState> to, Instant startedAt,
        Optional<Duration> took, String cause, Optional<String> outcome) {

    /** @return one line: time, sprite, operation, states, cause and outcome */
    @Override
    public String toString() {
        return startedAt + " " + sprite + " " + operation + " " + from + " -> " + to.map(Enum::name).orElse("…")
                + (cause.isEmpty() ? "" : " (" + cause + ")") + took.map(d -> " in " + d.toMillis() + " ms").orElse("")
                + outcome.filter(o -> !o.equals("ok")).map(o -> ": " + o).orElse("");
    }
}
