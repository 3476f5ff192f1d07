package labs.sandwich.puck.spi;

/**
 * Where a sprite's port can be reached from this machine.
 *
 * @param host an IP address or host name
 * @param port the port
 */
public record Endpoint(String host, int port) {
    /** Validates. */
    public Endpoint {
        if (host == null || host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid endpoint " + host + ":" + port);
        }
    }
}
