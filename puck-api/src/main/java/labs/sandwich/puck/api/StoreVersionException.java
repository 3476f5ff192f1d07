package labs.sandwich.puck.api;

import java.nio.file.Path;

/**
 * The state store was written by a newer Puck, with a schema this version does not know.
 * It is refused rather than guessed at; nothing was changed.
 */
public final class StoreVersionException extends StoreException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-STORE-004";

    private final int found;
    private final int supported;

    /**
     * @param file      the store file
     * @param found     the schema version in the file
     * @param supported the newest schema version this Puck knows
     */
    public StoreVersionException(Path file, int found, int supported) {
        super(CODE, file, "its schema version is " + found + " but this Puck knows versions up to " + supported + ".",
                "Upgrade Puck to the version that wrote this store, or point this one at another store (Puck.builder().store(path)).",
                null);
        this.found = found;
        this.supported = supported;
    }

    /** @return the schema version in the file */
    public int found() {
        return found;
    }

    /** @return the newest schema version this Puck knows */
    public int supported() {
        return supported;
    }
}
