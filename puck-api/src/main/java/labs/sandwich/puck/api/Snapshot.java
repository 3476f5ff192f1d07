package labs.sandwich.puck.api;

import java.time.Instant;
import java.util.Set;

/**
 * A saved state of a sprite, from which it (or a fork) can be restored.
 *
 * @param id        unique id
 * @param sprite    the sprite it was taken of
 * @param label     the user's label, e.g. {@code before-upgrade}
 * @param createdAt when it was taken
 * @param sizeBytes its size on disk
 * @param sha256    hex SHA-256 of its contents, checked before every restore
 * @param contents  what it holds
 */
public record Snapshot(SnapshotId id, String sprite, String label, Instant createdAt, long sizeBytes, String sha256, Set<Content> contents) {
    /** Validates and copies. */
    public Snapshot {
        Names.requireSpriteName(sprite);
        Names.requireSnapshotLabel(label);
        contents = Set.copyOf(contents);
        if (sizeBytes < 0 || sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new InvalidSpecException("snapshot", "Invalid snapshot record (size " + sizeBytes + ", sha256 " + sha256 + ").",
                    "A runtime must report a non-negative size and a hex SHA-256.");
        }
    }

    /** What a snapshot holds. */
    public enum Content {
        /** The memory of every process: processes continue where they were. */
        MEMORY,
        /** The sprite's own file-system changes on top of its image. */
        FILESYSTEM,
        /** Its volumes ({@code /home}, {@code /root}). */
        VOLUMES
    }
}
