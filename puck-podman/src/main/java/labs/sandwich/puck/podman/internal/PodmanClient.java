package labs.sandwich.puck.podman.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.podman.internal.libpod.ApiClient;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.api.ArchivesApi;
import labs.sandwich.puck.podman.internal.libpod.api.ContainersApi;
import labs.sandwich.puck.podman.internal.libpod.api.ExecApi;
import labs.sandwich.puck.podman.internal.libpod.api.ImagesApi;
import labs.sandwich.puck.podman.internal.libpod.api.NetworksApi;
import labs.sandwich.puck.podman.internal.libpod.api.SystemApi;
import labs.sandwich.puck.podman.internal.libpod.api.VolumesApi;
import labs.sandwich.puck.podman.internal.libpod.model.Info;
import labs.sandwich.puck.podman.internal.libpod.model.SystemComponentVersion;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.HttpStatus;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/**
 * The generated libpod client, wired to Podman's unix socket (never a TCP port) through one
 * pooled Apache HttpClient 5 that speaks AF_UNIX itself ({@link RequestConfig.Builder#setUnixDomainSocket}).
 * Thread-safe: the APIs share the client and its connection pool.
 *
 * <p>The generated methods throw the checked {@link ApiException}; {@link #call} and the
 * convenience methods ({@link #ping}, {@link #version}, {@link #info}) turn it into a
 * {@link LibpodException} carrying the status and Podman's own message.
 */
public final class PodmanClient implements AutoCloseable {
    /** The API version in every path: Podman 5.4 answers 404 to unversioned ones (except _ping). */
    public static final String API_VERSION = "v5.0.0";
    /** The generated client's base path (the spec's basePath); the host name is ignored on a unix socket. */
    public static final String API_BASE = "http://d/" + API_VERSION;
    /** The libpod prefix, for the streaming layer's hand-built requests. */
    public static final String BASE = API_BASE + "/libpod";

    private final Path socket;
    private final CloseableHttpClient http;
    private final ApiClient api;
    private final ArchivesApi archives;
    private final ContainersApi containers;
    private final ExecApi exec;
    private final ImagesApi images;
    private final NetworksApi networks;
    private final SystemApi system;
    private final VolumesApi volumes;

    /**
     * Opens nothing yet: connections are made on the first call and pooled.
     *
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
        this.api = new LibpodApiClient(http);
        api.setBasePath(API_BASE);
        this.archives = new ArchivesApi(api);
        this.containers = new ContainersApi(api);
        this.exec = new ExecApi(api);
        this.images = new ImagesApi(api);
        this.networks = new NetworksApi(api);
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

    /** @return checkpoint export and restore import with binary bodies */
    public ArchivesApi archives() {
        return archives;
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

    /** @return network operations */
    public NetworksApi networks() {
        return networks;
    }

    /** @return ping, version, info */
    public SystemApi system() {
        return system;
    }

    /** @return volume operations */
    public VolumesApi volumes() {
        return volumes;
    }

    /** A generated call. */
    @FunctionalInterface
    public interface LibpodCall<T> {
        /**
         * @return the call's result
         * @throws ApiException as the generated client throws it
         */
        T run() throws ApiException;
    }

    /** A generated call without a result. */
    @FunctionalInterface
    public interface LibpodAction {
        /** @throws ApiException as the generated client throws it */
        void run() throws ApiException;
    }

    /**
     * Runs a generated call, translating its failure.
     *
     * @param operation what it does, for the message
     * @param call      the call
     * @param <T>       its result
     * @return the call's result
     * @throws LibpodException with the status and Podman's message
     */
    public <T> T call(String operation, LibpodCall<T> call) {
        try {
            return call.run();
        } catch (ApiException e) {
            throw translate(operation, e);
        }
    }

    /**
     * Runs a generated call without a result, translating its failure.
     *
     * @param operation what it does, for the message
     * @param action    the call
     * @throws LibpodException with the status and Podman's message
     */
    public void run(String operation, LibpodAction action) {
        call(operation, () -> {
            action.run();
            return null;
        });
    }

    /**
     * @return Podman's answer to {@code GET /libpod/_ping}: {@code "OK"}
     * @throws LibpodException if Podman does not answer
     */
    public String ping() {
        return call("ping", system::systemPing).strip();
    }

    /**
     * @return Podman's versions; {@link SystemComponentVersion#getVersion()} is Podman's own
     * @throws LibpodException if Podman does not answer
     */
    public SystemComponentVersion version() {
        return call("version", system::systemVersion);
    }

    /**
     * @return the host and store information (rootless or not, cgroups, runtime)
     * @throws LibpodException if Podman does not answer
     */
    public Info info() {
        return call("info", system::systemInfo);
    }

    /**
     * @param operation what was being done
     * @param e         an error from the generated client
     * @return it, with the status and Podman's message and cause from its error body
     */
    public LibpodException translate(String operation, ApiException e) {
        if (e.getCode() == 0) {
            Throwable why = e.getCause() != null ? e.getCause() : e;
            return new LibpodException(operation, 0, "no answer from Podman at " + socket + " (" + why + ")", null, e);
        }
        JsonNode error = errorBody(e.getResponseBody());
        String message = error == null ? null : text(error, "message");
        return new LibpodException(operation, e.getCode(), message != null ? message : statusLine(e), error == null ? null : text(error, "cause"), e);
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
        JsonNode error = errorBody(e.getResponseBody());
        String m = error == null ? null : text(error, "message");
        if (m != null) {
            return m;
        }
        return e.getCode() == 0 ? String.valueOf(e.getMessage()) : statusLine(e);
    }

    private JsonNode errorBody(String body) {
        if (body == null || !body.stripLeading().startsWith("{")) {
            return null;
        }
        try {
            return json().readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    private static String statusLine(ApiException e) {
        String body = e.getResponseBody();
        return "HTTP " + e.getCode() + (body == null || body.isBlank() ? "" : ": " + body.strip());
    }

    @Override
    public void close() {
        try {
            http.close();
        } catch (IOException ignored) {
            // nothing to recover: the connections are gone either way
        }
    }

    /**
     * The generated {@link ApiClient} with libpod's quirks handled: 304 (start a running
     * container, stop a stopped one) is a success without a result, where the generated code
     * would read a null entity; an error without a body keeps its status; and a JSON answer
     * sent as {@code text/plain} (container stats: Podman 5.4.2's handler sets its Content-Type
     * after writing the status, so Go's default is sent) is read as the JSON it is.
     */
    private static final class LibpodApiClient extends ApiClient {
        LibpodApiClient(CloseableHttpClient http) {
            super(http);
        }

        @Override
        protected <T> T processResponse(CloseableHttpResponse response, TypeReference<T> returnType) throws ApiException, IOException, ParseException {
            if (response.getCode() == HttpStatus.SC_NOT_MODIFIED) {
                EntityUtils.consume(response.getEntity());
                return null;
            }
            if (response.getEntity() == null && (response.getCode() < 200 || response.getCode() >= 300)) {
                throw new ApiException("HTTP " + response.getCode() + " without a body", response.getCode(), transformResponseHeaders(response.getHeaders()), "");
            }
            return super.processResponse(response, returnType);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T deserialize(CloseableHttpResponse response, TypeReference<T> valueType) throws ApiException, IOException, ParseException {
            String mime = response.getEntity() == null || response.getEntity().getContentType() == null ? null
                    : org.apache.hc.core5.http.ContentType.parse(response.getEntity().getContentType()).getMimeType();
            if (valueType != null && "text/plain".equals(mime) && !valueType.getType().equals(String.class)) {
                String content = EntityUtils.toString(response.getEntity());
                return content.isBlank() ? null : getObjectMapper().readValue(content, valueType);
            }
            return super.deserialize(response, valueType);
        }
    }
}
