package labs.sandwich.puck.spi;

/**
 * A sprite's network counters, as a runtime reads them (e.g. from the sprite's network
 * namespace). Only differences between two readings matter.
 *
 * @param receivedBytes bytes received, {@code >= 0}
 * @param sentBytes     bytes sent, {@code >= 0}
 */
public record Traffic(long receivedBytes, long sentBytes) {
    /** Checks the counts. */
    public Traffic {
        if (receivedBytes < 0 || sentBytes < 0) {
            throw new IllegalArgumentException("traffic counters must be >= 0, were " + receivedBytes + " and " + sentBytes);
        }
    }

    /** @return received plus sent */
    public long total() {
        return receivedBytes + sentBytes;
    }
}
