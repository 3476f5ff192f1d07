package labs.sandwich.puck.api;

/** No sprite of that name exists in this store and runtime. */
public final class SpriteNotFoundException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-SPRITE-001";

    /** @param sprite the name that was looked up */
    public SpriteNotFoundException(String sprite) {
        super(CODE, "There is no sprite named '" + sprite + "'.",
                "Check the name with puck.list() (or `puck list`), or create it first.", sprite, null);
    }
}
