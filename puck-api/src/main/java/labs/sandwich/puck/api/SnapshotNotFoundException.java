package labs.sandwich.puck.api;

/** No snapshot with that id or label exists for the sprite. */
public final class SnapshotNotFoundException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-SNAPSHOT-002";

    /**
     * @param sprite   the sprite that was searched
     * @param snapshot the id or label looked for
     */
    public SnapshotNotFoundException(String sprite, String snapshot) {
        super(CODE, "Sprite '" + sprite + "' has no snapshot '" + snapshot + "'.",
                "List its snapshots with sprite.snapshots() (or `puck snapshot list " + sprite + "`).", sprite, null);
    }
}
