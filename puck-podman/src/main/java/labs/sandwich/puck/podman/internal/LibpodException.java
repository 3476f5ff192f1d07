package labs.sandwich.puck.podman.internal;

import java.util.Optional;

/**
 * A libpod call that failed: the HTTP status and what Podman said in its error body
 * ({@code ErrorModel}: {@code cause}, {@code message}, {@code response}). Status 0 means the
 * call never got an answer (no socket, connection refused, reset). Internal: the runtime
 * translates it into Puck's {@code PuckException}s at the SPI boundary.
 */
public final class LibpodException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int status;
    private final String podmanMessage;
    private final String podmanCause;

    /**
     * @param operation     what was being done, e.g. {@code "inspect container puck-a"}
     * @param status        the HTTP status, or 0 without an answer
     * @param podmanMessage Podman's {@code message}, or a description of the transport failure
     * @param podmanCause   Podman's {@code cause}, or null
     * @param cause         the generated client's exception, or null
     */
    public LibpodException(String operation, int status, String podmanMessage, String podmanCause, Throwable cause) {
        super(operation + (status == 0 ? " failed: " : " failed (HTTP " + status + "): ") + podmanMessage, cause);
        this.operation = operation;
        this.status = status;
        this.podmanMessage = podmanMessage;
        this.podmanCause = podmanCause;
    }

    /** @return what was being done */
    public String operation() {
        return operation;
    }

    /** @return the HTTP status, or 0 when Podman did not answer */
    public int status() {
        return status;
    }

    /** @return Podman's message (its error body's {@code message}), or the transport failure */
    public String podmanMessage() {
        return podmanMessage;
    }

    /** @return Podman's short cause, e.g. {@code "no such container"} */
    public Optional<String> podmanCause() {
        return Optional.ofNullable(podmanCause);
    }

    /** @return whether Podman answered 404 (no such container, volume, image, network, exec session) */
    public boolean notFound() {
        return status == 404;
    }

    /** @return whether Podman did not answer at all */
    public boolean unreachable() {
        return status == 0;
    }
}
