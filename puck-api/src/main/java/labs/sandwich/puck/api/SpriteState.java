package labs.sandwich.puck.api;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The states of a sprite, and the one table of which state may follow which.
 *
 * <pre>
 * CREATING ─► RUNNING ─► PAUSING ─► PAUSED ─► WAKING ─► RUNNING
 *               │  ▲
 *               ▼  │ (failed checkpoint)
 *          HIBERNATING ─► HIBERNATED ─► WAKING ─► RUNNING
 *                          │
 *                          ▼
 *                      ARCHIVING ─► ARCHIVED ─► WAKING ─► RUNNING
 * any live state ─► DELETING ─► DELETED;   any state but DELETED ─► FAILED
 * </pre>
 *
 * Every change passes through a transitional state ({@link #isTransitional()}), which is
 * what lets one process claim it while others sharing the store wait. A restore from a
 * snapshot goes through {@link #WAKING}, from a running, paused, hibernated or archived
 * sprite. {@link #FAILED} means Puck could
 * not tell what state the runtime is in; it keeps everything and waits for a wake (which
 * retries) or a delete.
 */
public enum SpriteState {
    /** Being created; not usable yet. */
    CREATING,
    /** Running: processes run, memory is held. */
    RUNNING,
    /** Being frozen. */
    PAUSING,
    /** Frozen in place (cgroup freezer): memory is held, no process runs; wakes in milliseconds. */
    PAUSED,
    /** Its memory is being written to disk. */
    HIBERNATING,
    /** Asleep on disk: memory checkpointed, no RAM used. */
    HIBERNATED,
    /** Its checkpoint is being exported and its container removed. */
    ARCHIVING,
    /** Asleep in an archive: checkpoint exported, nothing left in the runtime but the archive and the volumes. */
    ARCHIVED,
    /** Being restored from a checkpoint, an archive or a snapshot. */
    WAKING,
    /** Being deleted. */
    DELETING,
    /** Deleted; a terminal state. */
    DELETED,
    /** An operation failed in a way that left the runtime's state uncertain; nothing was deleted. */
    FAILED;

    private static final Map<SpriteState, Set<SpriteState>> NEXT = new EnumMap<>(SpriteState.class);

    static {
        allow(CREATING, RUNNING, DELETING, FAILED);
        allow(RUNNING, PAUSING, HIBERNATING, WAKING, DELETING, FAILED);
        allow(PAUSING, PAUSED, RUNNING, FAILED);
        allow(PAUSED, WAKING, HIBERNATING, DELETING, FAILED);
        allow(HIBERNATING, HIBERNATED, RUNNING, PAUSED, FAILED);
        allow(HIBERNATED, WAKING, ARCHIVING, DELETING, FAILED);
        allow(ARCHIVING, ARCHIVED, HIBERNATED, FAILED);
        allow(ARCHIVED, WAKING, DELETING, FAILED);
        allow(WAKING, RUNNING, PAUSED, HIBERNATED, ARCHIVED, FAILED);
        allow(DELETING, DELETED, FAILED);
        allow(DELETED);
        allow(FAILED, WAKING, DELETING);
    }

    private static void allow(SpriteState from, SpriteState... to) {
        Set<SpriteState> set = EnumSet.noneOf(SpriteState.class);
        set.addAll(java.util.List.of(to));
        NEXT.put(from, Collections.unmodifiableSet(set));
    }

    /** @return the states that may directly follow this one */
    public Set<SpriteState> next() {
        return NEXT.get(this);
    }

    /**
     * @param target a state
     * @return whether a sprite in this state may move directly to {@code target}
     */
    public boolean canMoveTo(SpriteState target) {
        return NEXT.get(this).contains(target);
    }

    /** @return whether the sprite's processes run (only {@link #RUNNING}) */
    public boolean isAwake() {
        return this == RUNNING;
    }

    /** @return whether this state is a step between two stable states */
    public boolean isTransitional() {
        return this == CREATING || this == PAUSING || this == HIBERNATING || this == ARCHIVING || this == WAKING || this == DELETING;
    }

    /** @return whether the sprite sleeps: paused, hibernated or archived */
    public boolean isAsleep() {
        return this == PAUSED || this == HIBERNATED || this == ARCHIVED;
    }

    /** @return whether no state may follow this one */
    public boolean isTerminal() {
        return this == DELETED;
    }
}
