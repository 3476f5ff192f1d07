package labs.sandwich.puck.core.internal;

import java.time.Instant;
import java.util.Optional;
import labs.sandwich.puck.api.Why;
import org.jspecify.annotations.Nullable;

/**
 * Something that keeps a sprite awake while it lasts: an open exec or console session, or a
 * keep-alive lease. Kept in the store so that the idle monitor, in whatever process it runs,
 * sees every process's holds; a hold whose process died counts for nothing.
 *
 * @param id     its id
 * @param sprite the sprite it holds
 * @param kind   {@link Why.Kind#EXEC}, {@link Why.Kind#CONSOLE} or {@link Why.Kind#KEEP_ALIVE}
 * @param detail the command, or the lease's reason
 * @param pid    the process holding it
 * @param since  when it began
 * @param until  when it lapses by itself (leases), or null (sessions end when closed)
 */
public record Hold(long id, String sprite, Why.Kind kind, String detail, long pid, Instant since, @Nullable Instant until) {

    /** @param now the time @return whether it still holds: its process lives and it has not lapsed */
    public boolean holds(Instant now) {
        return (until == null || until.isAfter(now)) && (pid == ProcessHandle.current().pid()
                || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    /** @return as the activity {@code why()} reports */
    public Why.Activity activity() {
        return new Why.Activity(kind, detail + (pid == ProcessHandle.current().pid() ? "" : " (process " + pid + ")"), since, Optional.ofNullable(until));
    }
}
