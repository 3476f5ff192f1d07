package labs.sandwich.puck.api;

import org.jspecify.annotations.Nullable;

/**
 * The runtime's backend failed in a way no more specific exception describes. Carries what
 * the backend said ({@link #status()}, e.g. an HTTP status) so it can be reported verbatim.
 */
public class BackendException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-BACKEND-001";

    private final String backend;
    private final int status;

    /**
     * @param backend the backend's name, e.g. {@code podman}
     * @param sprite  the sprite concerned, or {@code null}
     * @param status  the backend's status code (an HTTP status, an exit code), or 0 when there is none
     * @param problem what the backend said
     * @param remedy  what to do, or {@code null}
     * @param cause   the underlying exception, or {@code null}
     */
    public BackendException(String backend, @Nullable String sprite, int status, String problem,
            @Nullable String remedy, @Nullable Throwable cause) {
        super(CODE, backend + (status == 0 ? "" : " (" + status + ")") + ": " + problem, remedy, sprite, cause);
        this.backend = backend;
        this.status = status;
    }

    /** @return the backend's name */
    public String backend() {
        return backend;
    }

    /** @return the backend's status code, or 0 */
    public int status() {
        return status;
    }
}
