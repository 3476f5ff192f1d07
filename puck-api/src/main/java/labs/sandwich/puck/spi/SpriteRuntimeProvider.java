package labs.sandwich.puck.spi;

/**
 * Makes a {@link SpriteRuntime}; found by {@link java.util.ServiceLoader} (declare it in
 * {@code META-INF/services} and with {@code provides} in {@code module-info.java}).
 *
 * <p>Discovery picks exactly one runtime: an explicit choice ({@code Puck.builder().runtime(..)},
 * {@code -Dpuck.runtime}, {@code PUCK_RUNTIME}) wins; otherwise the available provider with
 * the highest {@link #priority()}, then by {@link #name()}. Providers need a public no-argument
 * constructor that does no work: all checks go in {@link #probe(RuntimeContext)}.
 */
public interface SpriteRuntimeProvider {
    /** The SPI version this puck-api implements. */
    String SPI_VERSION = "1";

    /** @return the runtime's short name, e.g. {@code podman}: lower-case, used in configuration */
    String name();

    /** @return the priority among available runtimes; higher wins (Podman 100, Kubernetes 50, cloud 10) */
    int priority();

    /** @return the SPI version the provider was built against; Puck refuses versions it does not know */
    default String spiVersion() {
        return SPI_VERSION;
    }

    /**
     * Checks, without changing anything, whether this runtime can work here.
     *
     * @param context configuration and environment
     * @return {@link Probe.Available} or {@link Probe.Unavailable} with the reason and the fix; never throws
     */
    Probe probe(RuntimeContext context);

    /**
     * Makes the runtime. Called only after {@link #probe(RuntimeContext)} said available.
     *
     * @param context what the engine lends the runtime: clock, data directory, configuration, state, events
     * @return the runtime; the engine closes it
     */
    SpriteRuntime create(RuntimeContext context);
}
