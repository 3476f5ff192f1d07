package labs.sandwich.puck.podman.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.podman.internal.libpod.ApiClient;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.api.ContainersApi;
import labs.sandwich.puck.podman.internal.libpod.api.ExecApi;
import labs.sandwich.puck.podman.internal.libpod.api.ImagesApi;
import labs.sandwich.puck.podman.internal.libpod.api.SystemApi;
import labs.sandwich.puck.podman.internal.libpod.api.VolumesApi;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.Timeout;

/**
 * The generated libpod client, wired to Podman's unix socket (never a TCP port) through one
 * pooled Apache HttpClient 5 that speaks AF_UNIX itself. Thread-safe.
 */
public final class PodmanClient implements AutoCloseable {
    /** The API version in every path: Podman 5.4 answers 404 to unversioned ones. */
    public static final String BASE = "http://d/v5.0.0/libpod";

    private final Path socket;
    private final CloseableHttpClient http;
    private final ApiClient api;
    private final ContainersApi containers;
    private final ExecApi exec;
    private final ImagesApi images;
    private final SystemApi system;
    private final VolumesApi volumes;

    /**
     * @param socket Podman's unix socket
     */
    public PodmanClient(Path socket) {
        this.socket = socket;
        this.http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(64).setMaxConnPerRoute(64)
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(5)).build())
                        .build())
                // Long operations (checkpoint, restore, image import) have no response deadline here:
                // the engine enforces timeouts by interrupting the caller.
                .setDefaultRequestConfig(RequestConfig.custom().setUnixDomainSocket(socket).setResponseTimeout(Timeout.DISABLED).build())
                .evictIdleConnections(Timeout.of(30, TimeUnit.SECONDS))
                .disableAutomaticRetries()
                .build();
        this.api = new ApiClient(http).setBasePath(BASE);
        this.containers = new ContainersApi(api);
        this.exec = new ExecApi(api);
        this.images = new ImagesApi(api);
        this.system = new SystemApi(api);
        this.volumes = new VolumesApi(api);
    }

    /** @return the socket it talks to */
    public Path socket() {
        return socket;
    }

    /** @return the configured HTTP client, for the streaming layer */
    public CloseableHttpClient http() {
        return http;
    }

    /** @return the JSON mapper the generated client uses */
    public ObjectMapper json() {
        return api.getObjectMapper();
    }

    /** @return container operations */
    public ContainersApi containers() {
        return containers;
    }

    /** @return exec sessions */
    public ExecApi exec() {
        return exec;
    }

    /** @return image operations */
    public ImagesApi images() {
        return images;
    }

    /** @return ping, version, info */
    public SystemApi system() {
        return system;
    }

    /** @return volume operations */
    public VolumesApi volumes() {
        return volumes;
    }

    /**
     * @param filters e.g. {@code label -> [managed-by=puck]}
     * @return the JSON libpod expects in a {@code filters} query parameter
     */
    public String filters(Map<String, List<String>> filters) {
        try {
            return json().writeValueAsString(filters);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param e an error from the generated client
     * @return Podman's own message from its error body, or the HTTP status line
     */
    public String message(ApiException e) {
        String body = e.getResponseBody();
        if (body != null && body.startsWith("{")) {
            try {
                String m = json().readTree(body).path("message").asText("");
                if (!m.isEmpty()) {
                    return m;
                }
            } catch (IOException ignored) {
                // not Podman's error model; fall through to the status
            }
        }
        return e.getCode() == 0 ? String.valueOf(e.getMessage()) : "HTTP " + e.getCode() + (body == null || body.isBlank() ? "" : ": " + body.strip());
    }

    @Override
    public void close() {
        try {
            http.close();
        } catch (IOException ignored) {
            // nothing to recover: the connections are gone either way
        }
    }
}
