package labs.sandwich.puck.api;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * An operation did not finish within its timeout. The sprite is left in a state that
 * reconciliation can repair; nothing was deleted.
 */
public final class OperationTimeoutException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-TIMEOUT-001";

    private final String operation;
    private final Duration timeout;

    /**
     * @param sprite    the sprite, or {@code null}
     * @param operation the operation, e.g. {@code wake}
     * @param timeout   the limit that was exceeded
     */
    public OperationTimeoutException(@Nullable String sprite, String operation, Duration timeout) {
        super(CODE, (sprite == null ? "" : "Sprite '" + sprite + "': ") + operation + " did not finish within " + timeout + ".",
                "Retry with a longer timeout (the method overload that takes a Duration), and check the runtime's health with `puck doctor`.",
                sprite, null);
        this.operation = operation;
        this.timeout = timeout;
    }

    /** @return the operation that timed out */
    public String operation() {
        return operation;
    }

    /** @return the timeout that was exceeded */
    public Duration timeout() {
        return timeout;
    }
}
