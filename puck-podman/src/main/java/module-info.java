/**
 * Puck's Podman + CRIU backend. Provides the {@code podman} runtime; exports only the package of
 * {@code PodmanRuntimeProvider}. The generated libpod client ({@code ...podman.internal.libpod})
 * stays unexported; its models are opened to Jackson alone.
 */
module labs.sandwich.puck.podman {
    // PodmanRuntimeProvider's signatures use the SPI's types.
    requires transitive labs.sandwich.puck.api;
    requires java.net.http;
    requires org.apache.httpcomponents.client5.httpclient5;
    requires org.apache.httpcomponents.core5.httpcore5;
    // httpcore5 (an automatic module) sets socket options through jdk.net: resolve it on the module path.
    requires jdk.net;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires org.apache.commons.compress;
    requires static jakarta.annotation;
    requires static org.jspecify;

    exports labs.sandwich.puck.podman;
    opens labs.sandwich.puck.podman.internal.libpod.model to com.fasterxml.jackson.databind;

    provides labs.sandwich.puck.spi.SpriteRuntimeProvider with labs.sandwich.puck.podman.PodmanRuntimeProvider;
}
