package labs.sandwich.puck.api;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * An interactive terminal session in a sprite. While it is open it counts as activity, so
 * the sprite does not fall asleep under the user. Closing it ends the session.
 */
public interface Console extends AutoCloseable {
    /** @return the terminal's input: what is written here is typed */
    OutputStream input();

    /** @return the terminal's output (standard output and error, merged as a terminal does) */
    InputStream output();

    /**
     * Changes the terminal size.
     *
     * @param columns width
     * @param rows    height
     */
    void resize(int columns, int rows);

    /**
     * Waits for the program to end.
     *
     * @param timeout how long to wait
     * @return its exit status, or empty if it still runs after {@code timeout}
     * @throws OperationInterruptedException if the thread is interrupted
     */
    OptionalInt waitFor(Duration timeout);

    /** Ends the session, killing the program if it still runs. */
    @Override
    void close();
}
