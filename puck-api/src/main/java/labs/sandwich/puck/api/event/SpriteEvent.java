package labs.sandwich.puck.api.event;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SpriteState;

/**
 * Something that happened to a sprite. Every state change produces exactly one event.
 * Switch over the records:
 *
 * <pre>{@code
 * puck.events().subscribe(e -> {
 *     switch (e) {
 *         case SpriteEvent.Hibernated h -> log.info("{} asleep after {}", h.sprite(), h.took());
 *         case SpriteEvent.Failed f -> log.warn("{} failed", f.sprite(), f.error());
 *         default -> {}
 *     }
 * });
 * }</pre>
 */
public sealed interface SpriteEvent {
    /** @return the sprite's name */
    String sprite();

    /** @return when it happened */
    Instant at();

    /**
     * The sprite was created and runs.
     *
     * @param sprite the sprite
     * @param at     when
     * @param took   how long creation took
     */
    record Created(String sprite, Instant at, Duration took) implements SpriteEvent {}

    /**
     * The sprite was frozen in place.
     *
     * @param sprite the sprite
     * @param at     when
     * @param reason why, e.g. {@code requested} or {@code idle for PT30S}
     */
    record Paused(String sprite, Instant at, String reason) implements SpriteEvent {}

    /**
     * The sprite's memory went to disk.
     *
     * @param sprite the sprite
     * @param at     when
     * @param took   how long the checkpoint took
     * @param reason why, e.g. {@code requested} or {@code idle for PT15M}
     */
    record Hibernated(String sprite, Instant at, Duration took, String reason) implements SpriteEvent {}

    /**
     * The sprite's checkpoint was exported and everything but it and the volumes freed.
     *
     * @param sprite the sprite
     * @param at     when
     * @param took   how long archiving took
     * @param reason why, e.g. {@code requested} or {@code idle monitor: no activity for P7D}
     */
    record Archived(String sprite, Instant at, Duration took, String reason) implements SpriteEvent {}

    /**
     * A sleep the idle monitor was about to do did not happen, e.g. because a pre-sleep hook
     * failed. The sprite stays as it was; the monitor tries again after another idle period.
     *
     * @param sprite the sprite
     * @param at     when
     * @param into   the state it was going to
     * @param reason why it did not
     */
    record SleepCancelled(String sprite, Instant at, SpriteState into, String reason) implements SpriteEvent {}

    /**
     * The sprite runs again.
     *
     * @param sprite the sprite
     * @param at     when
     * @param from   the state it woke from
     * @param took   how long waking took, readiness included
     */
    record Woken(String sprite, Instant at, SpriteState from, Duration took) implements SpriteEvent {}

    /**
     * A snapshot was taken.
     *
     * @param sprite   the sprite
     * @param at       when
     * @param snapshot the snapshot
     */
    record Snapshotted(String sprite, Instant at, Snapshot snapshot) implements SpriteEvent {}

    /**
     * The sprite was put back to a snapshot.
     *
     * @param sprite   the sprite
     * @param at       when
     * @param snapshot the snapshot
     */
    record Restored(String sprite, Instant at, Snapshot snapshot) implements SpriteEvent {}

    /**
     * A port was exposed.
     *
     * @param sprite the sprite
     * @param at     when
     * @param port   the sprite's port
     * @param url    where it is reachable
     * @param mode   who can reach it
     */
    record Exposed(String sprite, Instant at, int port, URI url, ExposureMode mode) implements SpriteEvent {}

    /**
     * The sprite was deleted.
     *
     * @param sprite the sprite
     * @param at     when
     * @param policy what was removed with it
     */
    record Deleted(String sprite, Instant at, DeletePolicy policy) implements SpriteEvent {}

    /**
     * An operation failed.
     *
     * @param sprite    the sprite
     * @param at        when
     * @param operation the operation, e.g. {@code hibernate}
     * @param state     the state the sprite was left in
     * @param error     what went wrong
     */
    record Failed(String sprite, Instant at, String operation, SpriteState state, PuckException error) implements SpriteEvent {}

    /**
     * A long operation made progress.
     *
     * @param sprite    the sprite
     * @param at        when
     * @param operation the operation
     * @param message   what is happening, for people
     */
    record Progress(String sprite, Instant at, String operation, String message) implements SpriteEvent {}
}
