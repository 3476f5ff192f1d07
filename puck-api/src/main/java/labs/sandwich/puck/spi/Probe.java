package labs.sandwich.puck.spi;

/**
 * Whether a runtime or ingress can be used on this machine, and if not, why and what to do.
 * Returned by {@code probe(...)}, which must not throw and must not change anything.
 */
public sealed interface Probe {
    /**
     * Usable.
     *
     * @param detail what was found, for the log, e.g. {@code podman 5.4.2 at /run/podman/podman.sock}
     */
    record Available(String detail) implements Probe {}

    /**
     * Not usable here.
     *
     * @param reason what is missing or wrong, as one sentence
     * @param remedy the command or step that fixes it
     */
    record Unavailable(String reason, String remedy) implements Probe {}

    /** @param detail what was found @return an available probe */
    static Probe available(String detail) {
        return new Available(detail);
    }

    /** @param reason what is wrong @param remedy how to fix it @return an unavailable probe */
    static Probe unavailable(String reason, String remedy) {
        return new Unavailable(reason, remedy);
    }
}
