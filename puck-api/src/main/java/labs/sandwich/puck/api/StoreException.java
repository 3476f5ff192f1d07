package labs.sandwich.puck.api;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Puck's state store (a SQLite file) could not be read or written. The file is never
 * deleted or rewritten to get past such an error. Subclasses name the common cases.
 */
public class StoreException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-STORE-001";

    private final transient Path file;

    /**
     * @param file    the store file
     * @param problem what went wrong
     * @param remedy  what to do
     * @param cause   the underlying exception, or {@code null}
     */
    public StoreException(Path file, String problem, String remedy, @Nullable Throwable cause) {
        this(CODE, file, problem, remedy, cause);
    }

    /**
     * For subclasses, with their own code.
     *
     * @param code    the subclass's code
     * @param file    the store file
     * @param problem what went wrong
     * @param remedy  what to do
     * @param cause   the underlying exception, or {@code null}
     */
    protected StoreException(String code, Path file, String problem, String remedy, @Nullable Throwable cause) {
        super(code, "State store " + file + ": " + problem, remedy, null, cause);
        this.file = file;
    }

    /** @return the store file */
    public Path file() {
        return file;
    }
}
