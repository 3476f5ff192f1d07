package labs.sandwich.puck.api;

/** What deleting a sprite removes. */
public enum DeletePolicy {
    /** Remove the sprite but keep its volumes ({@code /home}, {@code /root}) and snapshots: the default. */
    KEEP_VOLUMES,
    /** Remove the sprite, its volumes and its snapshots. Cannot be undone. */
    PURGE
}
