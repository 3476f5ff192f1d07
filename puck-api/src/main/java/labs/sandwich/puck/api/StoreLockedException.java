package labs.sandwich.puck.api;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Another process held the state store locked for longer than Puck waits. Nothing was written. */
public final class StoreLockedException extends StoreException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-STORE-003";

    /**
     * @param file   the store file
     * @param waited how long Puck waited for the lock
     * @param cause  the underlying exception, or {@code null}
     */
    public StoreLockedException(Path file, Duration waited, @Nullable Throwable cause) {
        super(CODE, file, "another process held it locked for more than " + waited + ".",
                "Find the process that holds it (`fuser " + file + "`) and let it finish, then retry.", cause);
    }
}
