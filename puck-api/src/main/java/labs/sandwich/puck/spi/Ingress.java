package labs.sandwich.puck.spi;

import java.net.URI;
import java.util.Set;
import labs.sandwich.puck.api.ExposureMode;

/** Publishes sprites' ports under URLs (Caddy, Tailscale). Thread-safe. */
public interface Ingress extends AutoCloseable {
    /** @return the ingress's name, as its provider's */
    String name();

    /** @return the audiences this ingress can serve */
    Set<ExposureMode> modes();

    /**
     * Publishes (or updates) a route; idempotent.
     *
     * @param route what to publish
     * @return the URL it is reachable at
     */
    URI publish(Route route);

    /**
     * Withdraws a route; absent routes are ignored.
     *
     * @param sprite the sprite
     * @param port   its port
     */
    void withdraw(String sprite, int port);

    /** Releases the ingress's resources; published routes stay. */
    @Override
    void close();
}
