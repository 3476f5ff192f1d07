package labs.sandwich.puck.spi;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import labs.sandwich.puck.api.event.SpriteEvent;

/**
 * What the engine lends a runtime or ingress: everything it may need from {@code puck-core}
 * without depending on it. Thread-safe.
 */
public interface RuntimeContext {
    /** @return the clock to read time from (a test clock in tests) */
    Clock clock();

    /** @return a directory the runtime may keep files in (e.g. snapshot archives); it exists */
    Path dataDirectory();

    /**
     * Looks up a setting, first in the {@code Puck.builder().config(..)} values, then the system
     * property {@code puck.<key>}, then the environment variable {@code PUCK_<KEY>} (upper-case,
     * dots as underscores). For example {@code podman.socket} is also
     * {@code -Dpuck.podman.socket} and {@code PUCK_PODMAN_SOCKET}.
     *
     * @param key a dotted key
     * @return the value, if set
     */
    Optional<String> config(String key);

    /**
     * A hosts file the engine keeps, naming every sprite of the store {@code <name>.internal}.
     * A runtime that can should show it to new sprites as their {@code /etc/hosts} (read-only;
     * the engine rewrites it in place as sprites come and go).
     *
     * @return the file, if the engine keeps one
     */
    default Optional<Path> hostsFile() {
        return Optional.empty();
    }

    /** @return durable key-value state per sprite, kept in Puck's store */
    BackendState state();

    /**
     * Publishes an event, e.g. {@link SpriteEvent.Progress} during a long operation.
     *
     * @param event the event
     */
    void publish(SpriteEvent event);
}
