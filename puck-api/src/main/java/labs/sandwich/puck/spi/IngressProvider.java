package labs.sandwich.puck.spi;

/**
 * Makes an {@link Ingress}; found by {@link java.util.ServiceLoader}. Ingresses are used only
 * when configured ({@code Puck.builder().ingress("caddy")} or {@code puck.ingress}).
 */
public interface IngressProvider {
    /** @return the ingress's short name, e.g. {@code caddy} */
    String name();

    /** @return the SPI version the provider was built against */
    default String spiVersion() {
        return SpriteRuntimeProvider.SPI_VERSION;
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
