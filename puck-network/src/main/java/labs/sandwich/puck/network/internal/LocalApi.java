package labs.sandwich.puck.network.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import labs.sandwich.puck.api.IngressUnavailableException;

/**
 * tailscaled's LocalAPI on its unix socket: the node's status, its serve configuration (read
 * with an {@code Etag}, written with {@code If-Match}) and its preferences. tailscaled accepts a
 * request only with the Host {@code local-tailscaled.sock} (or none) and no Origin or Referer,
 * and lets only root or its operator write.
 *
 * <p>Documents are kept as JSON trees, never mapped onto classes: a write sends back every field
 * as read, including the ones Puck does not know, so other users of the node's serve
 * configuration lose nothing.
 */
public final class LocalApi {
    /** The Host tailscaled's LocalAPI requires ({@code apitype.LocalAPIHost}). */
    public static final String HOST = "local-tailscaled.sock";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UnixHttp http;

    /** @param socket tailscaled's socket, usually {@code /var/run/tailscale/tailscaled.sock} */
    public LocalApi(Path socket) {
        this.http = new UnixHttp(socket, HOST);
    }

    /** @return the socket */
    public Path socket() {
        return http.socket();
    }

    /**
     * The serve configuration as read, with the ETag to write it back under.
     *
     * @param config the document; an empty object when the node serves nothing ({@code null} on the wire)
     * @param etag   its ETag
     */
    public record ServeConfig(ObjectNode config, String etag) {}

    /** A write refused because the configuration changed since it was read (412). */
    public static final class StaleETagException extends Exception {
        private static final long serialVersionUID = 1L;

        StaleETagException(String message) {
            super(message);
        }
    }

    /**
     * @return the node's status without peers ({@code GET /localapi/v0/status?peers=false})
     * @throws IngressUnavailableException if tailscaled does not answer or refuses
     */
    public JsonNode status() {
        return tree(ok(call("GET", "/localapi/v0/status?peers=false", Map.of(), null), "read the node's status"));
    }

    /**
     * @return the serve configuration and its ETag
     * @throws IngressUnavailableException if tailscaled does not answer or refuses
     */
    public ServeConfig serveConfig() {
        UnixHttp.Response r = ok(call("GET", "/localapi/v0/serve-config", Map.of(), null), "read the serve configuration");
        JsonNode tree = tree(r);
        String etag = r.header("Etag").orElseThrow(() -> unavailable("tailscaled sent its serve configuration without an Etag",
                "Upgrade tailscaled: Puck needs a version whose LocalAPI sends one (1.50 or newer)."));
        return new ServeConfig(tree instanceof ObjectNode o ? o : JSON.createObjectNode(), etag);
    }

    /**
     * Writes the serve configuration if it is still the one {@code etag} names.
     *
     * @param config the whole document
     * @param etag   the ETag it was read with; never empty (an empty If-Match would overwrite anything)
     * @throws StaleETagException if another writer changed it since
     * @throws IngressUnavailableException if tailscaled does not answer or refuses the document
     */
    public void setServeConfig(ObjectNode config, String etag) throws StaleETagException {
        if (etag.isEmpty()) {
            throw new IllegalArgumentException("an empty If-Match makes tailscaled overwrite whatever is there");
        }
        UnixHttp.Response r = call("POST", "/localapi/v0/serve-config", Map.of("If-Match", etag), config.toString());
        if (r.status() == 412) {
            throw new StaleETagException(r.body().strip());
        }
        ok(r, "write the serve configuration");
    }

    /**
     * @return the node's preferences ({@code GET /localapi/v0/prefs})
     * @throws IngressUnavailableException if tailscaled does not answer or refuses
     */
    public JsonNode prefs() {
        return tree(ok(call("GET", "/localapi/v0/prefs", Map.of(), null), "read the node's preferences"));
    }

    /**
     * Changes some preferences ({@code PATCH /localapi/v0/prefs} with a masked document, e.g.
     * {@code {"AdvertiseServicesSet":true,"AdvertiseServices":[...]}}).
     *
     * @param masked the changes and their {@code ...Set} flags
     * @throws IngressUnavailableException if tailscaled does not answer or refuses
     */
    public void editPrefs(ObjectNode masked) {
        ok(call("PATCH", "/localapi/v0/prefs", Map.of(), masked.toString()), "change the node's preferences");
    }

    private UnixHttp.Response call(String method, String path, Map<String, String> headers, String body) {
        try {
            return http.call(method, path, headers, body);
        } catch (IOException e) {
            boolean missing = !Files.exists(http.socket());
            throw unavailable(missing ? "tailscaled is not running here: its socket " + http.socket() + " does not exist"
                            : "tailscaled does not answer on " + http.socket() + " (" + e.getMessage() + ")",
                    missing ? "Install Tailscale and run `sudo tailscale up` (https://tailscale.com/download), or name its socket with PUCK_TAILSCALE_SOCKET."
                            : "Check it with `tailscale status`; restart it with `sudo systemctl restart tailscaled`.");
        }
    }

    private UnixHttp.Response ok(UnixHttp.Response r, String what) {
        if (r.ok()) {
            return r;
        }
        String said = message(r);
        if (r.status() == 403) {
            throw unavailable("tailscaled refused to let Puck " + what + " (403: " + said + ")",
                    "Run Puck as root, or make your user tailscaled's operator: `sudo tailscale set --operator=$USER`.");
        }
        throw unavailable("tailscaled could not " + what + " (" + r.status() + ": " + said + ")",
                "Check `tailscale status` and `tailscale serve status`; fix what tailscaled names and retry.");
    }

    /** tailscaled answers errors as text ({@code http.Error}) or as {@code {"error": "..."}} (WriteErrorJSON). */
    static String message(UnixHttp.Response r) {
        String body = r.body().strip();
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.hasNonNull("error")) {
                return n.get("error").asText();
            }
            if (n != null && n.hasNonNull("Error")) {
                return n.get("Error").asText();
            }
        } catch (JsonProcessingException e) {
            // plain text
        }
        return body;
    }

    private static JsonNode tree(UnixHttp.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (JsonProcessingException e) {
            throw unavailable("tailscaled answered with something that is not JSON: " + r.body().substring(0, Math.min(80, r.body().length())),
                    "Check that " + "the socket is tailscaled's (PUCK_TAILSCALE_SOCKET).");
        }
    }

    static IngressUnavailableException unavailable(String problem, String remedy) {
        return new IngressUnavailableException("tailscale", problem + ".", remedy);
    }
}
