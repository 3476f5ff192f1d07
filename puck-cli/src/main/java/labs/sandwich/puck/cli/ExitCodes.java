package labs.sandwich.puck.cli;

import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.HookFailedException;
import labs.sandwich.puck.api.HostPortInUseException;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.RuntimeUnavailableException;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.StoreException;
import labs.sandwich.puck.api.UnsupportedCapabilityException;

/**
 * The exit codes of {@code puck}, documented in {@code docs/cli.md}. {@code puck exec} exits
 * with the command's own code instead.
 */
final class ExitCodes {
    /** It worked. */
    static final int OK = 0;
    /** Something else went wrong; the message says what. */
    static final int FAILED = 1;
    /** Wrong arguments or invalid input; nothing was done. */
    static final int USAGE = 2;
    /** No such sprite, snapshot or image. */
    static final int NOT_FOUND = 3;
    /** The sprite is not in a state that allows it, or the name is taken. */
    static final int STATE = 4;
    /** No runtime can be used (e.g. Podman is not running), or the backend failed. */
    static final int RUNTIME = 5;
    /** It took longer than its timeout. */
    static final int TIMEOUT = 6;
    /** The state store cannot be used. */
    static final int STORE = 7;
    /** The runtime cannot do this here. */
    static final int UNSUPPORTED = 8;
    /** A sleep hook failed, or a snapshot's checksum did not match. */
    static final int INTEGRITY = 9;
    /** The user said no. */
    static final int DECLINED = 10;

    private ExitCodes() {}

    static int of(PuckException e) {
        return switch (e) {
            case InvalidSpecException x -> USAGE;
            case SpriteNotFoundException x -> NOT_FOUND;
            case SnapshotNotFoundException x -> NOT_FOUND;
            case ImageNotFoundException x -> NOT_FOUND;
            case IllegalSpriteStateException x -> STATE;
            case SpriteAlreadyExistsException x -> STATE;
            case HostPortInUseException x -> STATE;
            case RuntimeUnavailableException x -> RUNTIME;
            case labs.sandwich.puck.api.IngressUnavailableException x -> RUNTIME;
            case OperationTimeoutException x -> TIMEOUT;
            case StoreException x -> STORE;
            case UnsupportedCapabilityException x -> UNSUPPORTED;
            case HookFailedException x -> INTEGRITY;
            case SnapshotCorruptedException x -> INTEGRITY;
            case BackendException x -> RUNTIME;
            default -> FAILED;
        };
    }
}
