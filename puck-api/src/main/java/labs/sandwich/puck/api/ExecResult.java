package labs.sandwich.puck.api;

import java.time.Duration;
import java.util.List;

/**
 * What a command run in a sprite returned. A non-zero exit status is a result, not an
 * error; call {@link #orThrow()} to make it one.
 *
 * @param sprite   the sprite it ran in
 * @param command  the argument vector that ran
 * @param exitCode its exit status
 * @param stdout   its standard output, decoded as UTF-8
 * @param stderr   its standard error, decoded as UTF-8
 * @param elapsed  how long it ran
 */
public record ExecResult(String sprite, List<String> command, int exitCode, String stdout, String stderr, Duration elapsed) {
    /** Copies the command. */
    public ExecResult {
        command = List.copyOf(command);
    }

    /** @return whether the exit status was 0 */
    public boolean succeeded() {
        return exitCode == 0;
    }

    /**
     * @return this result, if the command succeeded
     * @throws ExecFailedException if the exit status was not 0
     */
    public ExecResult orThrow() {
        if (!succeeded()) {
            throw new ExecFailedException(sprite, command, this);
        }
        return this;
    }
}
