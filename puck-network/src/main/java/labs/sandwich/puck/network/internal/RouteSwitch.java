package labs.sandwich.puck.network.internal;

import java.nio.file.Path;
import java.util.Optional;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.Route;

/**
 * Where a route's requests go, changed without touching Caddy's config: a config change makes
 * Caddy replace its listening sockets, and connections arriving at that instant are reset or
 * closed unanswered, so a sprite's sleep and wake must not cause one. A route's config names
 * what it dials ({@link #point}'s answer), the same through its sprite's sleeps and wakes; the
 * switch changes what that leads to.
 */
sealed interface RouteSwitch permits KernelSwitch, FileSwitch {
    /**
     * Points a route at its target, atomically: a new connection goes either to the old target or
     * to the new one.
     *
     * @param key   the route's name, unique within this Caddy
     * @param route the route: its target is the sprite's endpoint, or the activator's (connections
     *              still open to the sprite are then cut, so that Caddy does not send a request
     *              into a sprite that sleeps)
     * @return what the route's upstream dials: the same for a key whatever its target, unless the
     *         sprite woke at another address
     */
    String point(String key, Route route);

    /** @param key a route's name @return where it leads now ({@code host:port}), if it is pointed anywhere */
    Optional<String> target(String key);

    /** @return the address Caddy must dial from for the switch to see its connections, if it must */
    Optional<String> source();

    /** @param key a route's name: forgotten, if known */
    void remove(String key);

    /** @return a word for logs and doctor */
    String kind();

    /**
     * @param mode    {@code auto} (the kernel switch where this process may change nftables, the
     *                file otherwise), {@code kernel} or {@code file}
     * @param dir     Caddy's directory
     * @param address the address the kernel switch's routes dial, on {@code lo}
     * @return the switch the settings ask for
     */
    static RouteSwitch of(String mode, Path dir, String address) {
        return switch (mode) {
            case "kernel" -> new KernelSwitch(dir, address);
            case "file" -> new FileSwitch(dir);
            case "auto" -> KernelSwitch.usable() ? new KernelSwitch(dir, address) : new FileSwitch(dir);
            default -> throw new InvalidSpecException("caddy.switch", "'" + mode + "' is not a way to switch routes.",
                    "Set puck.caddy.switch to auto (the default), kernel or file.");
        };
    }
}
