package labs.sandwich.puck.api;

/**
 * A snapshot's contents do not match the checksum recorded when it was taken (truncated,
 * altered, or written by an incompatible runtime). It was not restored, and the sprite it
 * was meant for is untouched.
 */
public final class SnapshotCorruptedException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-SNAPSHOT-001";

    /**
     * @param sprite   the sprite the snapshot belongs to
     * @param snapshot the snapshot's id
     * @param detail   what was found, e.g. the expected and actual checksums
     */
    public SnapshotCorruptedException(String sprite, String snapshot, String detail) {
        super(CODE, "Snapshot " + snapshot + " of sprite '" + sprite + "' is corrupted: " + detail,
                "Restore an older snapshot (sprite.snapshots()); the sprite's current state was left as it was.",
                sprite, null);
    }
}
