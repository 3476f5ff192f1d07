package labs.sandwich.puck.api;

import java.net.URI;

/**
 * A sprite's port made reachable at a URL. Closing it withdraws the URL. Thread-safe.
 */
public interface Exposure extends AutoCloseable {
    /** @return the sprite's name */
    String sprite();

    /** @return the sprite's port */
    int port();

    /** @return where to reach it */
    URI url();

    /** @return who can reach it */
    ExposureMode mode();

    /** Withdraws the URL; closing twice is harmless. */
    @Override
    void close();
}
