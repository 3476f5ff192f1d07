package labs.sandwich.puck.api;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** The state store file is not a readable Puck database. It was left untouched. */
public final class StoreCorruptedException extends StoreException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-STORE-002";

    /**
     * @param file   the store file
     * @param detail what SQLite reported
     * @param cause  the underlying exception, or {@code null}
     */
    public StoreCorruptedException(Path file, String detail, @Nullable Throwable cause) {
        super(CODE, file, "the file is not a readable Puck store (" + detail + ").",
                "Puck left it untouched. Move it aside and start with a new store, or restore it from a backup; "
                        + "`sqlite3 " + file + " .recover` may salvage its rows.",
                cause);
    }
}
