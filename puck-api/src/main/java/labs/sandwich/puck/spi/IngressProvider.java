package labs.sandwich.puck.spi;

import java.util.Set;
import labs.sandwich.puck.api.ExposureMode;

/**
 * Makes an {@link Ingress}; found by {@link java.util.ServiceLoader}. Ingresses are used only
 * when configured ({@code Puck.builder().ingress("caddy")} or {@code puck.ingress}); that one
 * serves what it can, and for each audience it cannot serve the engine adds the first other
 * provider whose {@link #modes()} offer it (so {@code caddy} serves {@code LOCAL}, and
 * {@code tailscale}, when on the class path, {@code TAILNET} and {@code PUBLIC}).
 */
public interface IngressProvider {
    /** @return the ingress's short name, e.g. {@code caddy} */
    String name();

    /** @return the SPI version the provider was built against */
    default String spiVersion() {
        return SpriteRuntimeProvider.SPI_VERSION;
    }

    /**
     * The audiences its ingresses serve, known before one is made. An ingress added for an
     * audience is made even while its probe says it is unavailable: it then refuses to publish
     * with an {@link labs.sandwich.puck.api.IngressUnavailableException} that says why, and
     * serves once the cause is gone (tailscaled started), without reopening Puck.
     *
     * @return the audiences; by default {@code LOCAL} only
     */
    default Set<ExposureMode> modes() {
        return Set.of(ExposureMode.LOCAL);
    }

    /**
     * @param context configuration and environment
     * @return whether the ingress can work here; never throws
     */
    Probe probe(RuntimeContext context);

    /**
     * @param context what the engine lends
     * @return the ingress; the engine closes it
     */
    Ingress create(RuntimeContext context);
}
