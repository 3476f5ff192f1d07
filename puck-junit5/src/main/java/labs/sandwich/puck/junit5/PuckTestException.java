package labs.sandwich.puck.junit5;

import labs.sandwich.puck.api.PuckException;
import org.jspecify.annotations.Nullable;

/**
 * A test class's use of the extension is wrong ({@link #DECLARATION}: an annotated field that is
 * not a {@code Sprite}, a final field, a fixture class that cannot be made), or a fixture failed
 * to seed its sprite ({@link #FIXTURE}); the message names the field or fixture, and the cause.
 */
public final class PuckTestException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** A wrong declaration in the test class. */
    public static final String DECLARATION = "PUCK-JUNIT-001";
    /** A fixture's {@code seed} threw. */
    public static final String FIXTURE = "PUCK-JUNIT-002";

    /**
     * @param code    {@link #DECLARATION} or {@link #FIXTURE}
     * @param problem what was wrong, naming the field or fixture
     * @param remedy  what to do
     * @param sprite  the sprite concerned, if any
     * @param cause   the underlying failure, if any
     */
    public PuckTestException(String code, String problem, String remedy, @Nullable String sprite, @Nullable Throwable cause) {
        super(code, problem, remedy, sprite, cause);
    }
}
