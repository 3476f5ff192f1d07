package labs.sandwich.puck.spi;

import labs.sandwich.puck.api.ExposureMode;

/**
 * A request to publish a sprite's port. While the sprite is awake the route leads straight to
 * it; while it sleeps, to the engine's activator, which wakes it and forwards the request. The
 * activator must learn which sprite and port the request is for: from the Host, where the route
 * matched {@code <name>.localhost} (the sprite's primary port) or {@code <port>-<name>.localhost},
 * and the ingress removes a client's {@value #WAKE_HEADER}; otherwise from that header
 * ({@code <sprite>:<port>}), which the ingress sets on every request, replacing a client's.
 *
 * @param sprite    the sprite's name
 * @param port      the sprite's port
 * @param target    where requests go: the sprite's endpoint, or the activator's
 * @param mode      who may reach it
 * @param primary   whether the sprite's bare name ({@code <name>.localhost}) leads to this port,
 *                  besides {@code <port>-<name>.localhost}
 * @param activator whether {@code target} is the activator
 */
public record Route(String sprite, int port, Endpoint target, ExposureMode mode, boolean primary, boolean activator) {
    /** The request header naming the sprite and port for the activator, where the Host does not. */
    public static final String WAKE_HEADER = "X-Puck-Wake";
}
