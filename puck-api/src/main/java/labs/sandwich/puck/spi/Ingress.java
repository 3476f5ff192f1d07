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

    /**
     * Makes sure the ingress serves (starting its proxy if it died) and says whether it had to
     * start it afresh, in which case the engine publishes every route again. Called regularly by
     * the daemon.
     *
     * @return whether the routes it published before are gone
     */
    boolean revive();

    /** Releases the ingress's resources; published routes stay. */
    @Override
    void close();
}
