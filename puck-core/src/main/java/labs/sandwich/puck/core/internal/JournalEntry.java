package labs.sandwich.puck.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import labs.sandwich.puck.api.Change;
import labs.sandwich.puck.api.SpriteState;
import org.jspecify.annotations.Nullable;

/**
 * One journaled state change: written when it begins and again when it ends, so an entry
 * without an end is an operation a crash interrupted.
 *
 * @param id        its id, increasing
 * @param sprite    the sprite
 * @param operation e.g. {@code hibernate}
 * @param from      the state before
 * @param during    the state while it ran
 * @param to        the state after, once ended
 * @param startedAt when it began
 * @param endedAt   when it ended, or null while open
 * @param outcome   {@code ok} or what went wrong, once ended
 * @param detail    operation details (a snapshot id, an image)
 * @param pid       the process that ran it
 */
public record JournalEntry(long id, String sprite, String operation, SpriteState from, SpriteState during, @Nullable SpriteState to,
        Instant startedAt, @Nullable Instant endedAt, @Nullable String outcome, String detail, long pid) {

    /** @return as the public API shows it */
    public Change change() {
        return new Change(id, sprite, operation, from, Optional.ofNullable(to), startedAt,
                Optional.ofNullable(endedAt).map(e -> Duration.between(startedAt, e)), detail, Optional.ofNullable(outcome));
    }
}
