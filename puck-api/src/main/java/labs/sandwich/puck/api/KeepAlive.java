package labs.sandwich.puck.api;

import java.time.Instant;

/**
 * A keep-alive lease: while it is held and not expired, the idle monitor does not put its
 * sprite to sleep. Leases are kept in the state store, so every process sharing the store
 * (the {@code puckd} daemon included) sees them; one whose process died is ignored.
 *
 * <pre>{@code
 * try (KeepAlive busy = sprite.keepAlive("nightly build", Duration.ofHours(2))) {
 *     runTheBuild();
 * }
 * }</pre>
 *
 * Closing releases it early; closing twice is harmless. Holding one does not wake a sleeping
 * sprite; {@code sprite.keepAlive(...)} wakes it first.
 */
public interface KeepAlive extends AutoCloseable {
    /** @return the sprite it keeps awake */
    String sprite();

    /** @return what the caller said it is for, shown by {@code why()} */
    String reason();

    /** @return when it lapses unless closed earlier */
    Instant expiresAt();

    /** Releases the lease. */
    @Override
    void close();
}
