package labs.sandwich.puck.api;

/** A sprite of that name already exists; nothing was created or changed. */
public final class SpriteAlreadyExistsException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-SPRITE-002";

    /** @param sprite the name that is taken */
    public SpriteAlreadyExistsException(String sprite) {
        super(CODE, "A sprite named '" + sprite + "' already exists.",
                "Use puck.get(\"" + sprite + "\") to work with it, delete it first, or choose another name.",
                sprite, null);
    }

    /**
     * For a name held by something Puck does not manage (for example a container that is not
     * labelled as a sprite), which Puck refuses to touch.
     *
     * @param sprite the name that is taken
     * @param holder what holds it, e.g. {@code a Podman container not managed by Puck}
     */
    public SpriteAlreadyExistsException(String sprite, String holder) {
        super(CODE, "The name '" + sprite + "' is taken by " + holder + "; Puck will not touch it.",
                "Choose another name, or remove that object yourself if it is not needed.", sprite, null);
    }
}
