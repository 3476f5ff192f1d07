package labs.sandwich.puck.api;

/**
 * The operation is not allowed in the sprite's current state, for example pausing a
 * hibernated sprite or acting on one that is being deleted. Nothing was changed.
 */
public final class IllegalSpriteStateException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-STATE-001";

    private final SpriteState state;
    private final String operation;

    /**
     * @param sprite    the sprite
     * @param state     its state when the operation was refused
     * @param operation the refused operation, e.g. {@code pause}
     * @param remedy    what to do instead
     */
    public IllegalSpriteStateException(String sprite, SpriteState state, String operation, String remedy) {
        super(CODE, "Cannot " + operation + " sprite '" + sprite + "' while it is " + state + ".", remedy, sprite, null);
        this.state = state;
        this.operation = operation;
    }

    /** @return the state the sprite was in */
    public SpriteState state() {
        return state;
    }

    /** @return the operation that was refused */
    public String operation() {
        return operation;
    }
}
