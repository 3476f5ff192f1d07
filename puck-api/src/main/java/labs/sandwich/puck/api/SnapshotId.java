package labs.sandwich.puck.api;

import java.util.UUID;

/**
 * Identifies a snapshot, unique across sprites. Safe to use in file names.
 *
 * @param value the id: lower-case letters, digits and '-', 1 to 64 characters
 */
public record SnapshotId(String value) {
    /** Validates the id. */
    public SnapshotId {
        if (value == null || !value.matches("[a-z0-9][a-z0-9-]{0,63}")) {
            throw new InvalidSpecException("snapshot", "Invalid snapshot id '" + Names.printable(value) + "'.",
                    "Use an id from sprite.snapshots().");
        }
    }

    /** @return a new random id */
    public static SnapshotId random() {
        return new SnapshotId("snap-" + UUID.randomUUID().toString().substring(0, 18));
    }

    @Override
    public String toString() {
        return value;
    }
}
