/**
 * Puck's Podman + CRIU backend. Provides the {@code podman} runtime; nothing else is exported.
 */
module labs.sandwich.puck.podman {
    requires labs.sandwich.puck.api;
    requires java.net.http;
    requires org.apache.httpcomponents.client5.httpclient5;
    requires org.apache.httpcomponents.core5.httpcore5;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires org.apache.commons.compress;
    requires static jakarta.annotation;
    requires static org.jspecify;

    exports labs.sandwich.puck.podman;
    opens labs.sandwich.puck.podman.internal.libpod.model to com.fasterxml.jackson.databind;

    provides labs.sandwich.puck.spi.SpriteRuntimeProvider with labs.sandwich.puck.podman.PodmanRuntimeProvider;
}
