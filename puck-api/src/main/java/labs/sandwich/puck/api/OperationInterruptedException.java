package labs.sandwich.puck.api;

import org.jspecify.annotations.Nullable;

/**
 * The calling thread was interrupted while it waited for an operation. The thread's
 * interrupt flag is set again before this is thrown.
 */
public final class OperationInterruptedException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-INTERRUPTED-001";

    /**
     * @param sprite    the sprite, or {@code null}
     * @param operation the operation that was waited for
     * @param cause     the interruption
     */
    public OperationInterruptedException(@Nullable String sprite, String operation, @Nullable Throwable cause) {
        super(CODE, (sprite == null ? "" : "Sprite '" + sprite + "': ") + operation + " was interrupted.",
                "Nothing to fix if the interruption was intended; the operation may still complete, so check the sprite's state.",
                sprite, cause);
    }
}
