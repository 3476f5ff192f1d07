package labs.sandwich.puck.network.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Caddy's admin API over its unix socket ({@link UnixHttp}), JSON in and out.
 */
public final class CaddyAdmin {
    private final UnixHttp http;

    /** @param socket the admin socket */
    public CaddyAdmin(Path socket) {
        this.http = new UnixHttp(socket, "caddy-admin"); // Caddy 2.11 rejects a request without a Host
    }

    /** @return the socket */
    public Path socket() {
        return http.socket();
    }

    /**
     * @param method e.g. {@code PATCH}
     * @param path   e.g. {@code /id/puck-web-8080-http}
     * @param json   the body, or null
     * @return the answer
     * @throws IOException if the socket does not answer
     */
    public UnixHttp.Response call(String method, String path, String json) throws IOException {
        return http.call(method, path, Map.of(), json);
    }
}
