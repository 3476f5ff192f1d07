package labs.sandwich.puck.network.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for tailscaled, for tests: no tailscaled can run here and no tailnet is reachable.
 * A real HTTP/1.1 server on a real unix socket that keeps the LocalAPI's contract as tailscaled's
 * source has it (ipn/localapi/localapi.go, ipn/localapi/serve.go, ipn/ipnlocal/serve.go):
 * <ul>
 *   <li>a Host other than {@code local-tailscaled.sock} (or none), or any Origin or Referer: 403
 *       {@code invalid localapi request}, as text ({@code http.Error});</li>
 *   <li>{@code GET /localapi/v0/status}: the node's DNSName (with its trailing dot), Tags, CapMap,
 *       CurrentTailnet (Name, MagicDNSSuffix, MagicDNSEnabled), BackendState;</li>
 *   <li>{@code GET /localapi/v0/serve-config}: the document ({@code null} when empty) with an
 *       {@code Etag}, the SHA-256 of that JSON;</li>
 *   <li>{@code POST}: a body that is not JSON or has a wrong type is a 500 with
 *       {@code {"error":"decoding config: ..."}} (WriteErrorJSON); an {@code If-Match} that is not
 *       the current ETag is a 412 {@code etag mismatch}; no If-Match overwrites, as tailscaled
 *       does; a change of a port's serve type, or Funnel with shields up, is a 500
 *       {@code {"error":"updating config: ..."}} with tailscaled's words;</li>
 *   <li>{@code GET/PATCH /localapi/v0/prefs} for {@code AdvertiseServices}; unknown paths 404,
 *       other methods 405;</li>
 *   <li>each answer after a small delay (1-2 ms), as a real daemon takes.</li>
 * </ul>
 * Like tailscaled, it accepts a Funnel entry whatever the node's capabilities (its CLI, and Puck,
 * check them in the status first).
 *
 * <p>It also plays the tailnet side: {@link #listen(int)} opens a loopback port standing for a
 * tailnet port, where a plain HTTP request is handled as tailscaled handles one after TLS: the
 * handler is chosen from the serve configuration by name and port (a service's name selects the
 * service), and the request is proxied to the handler's target with the client's Host header
 * kept, and X-Forwarded-Host, -Proto and -For set.
 */
public final class TailscaledStandIn implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final Object lock = new Object();
    private volatile ServerSocketChannel server;
    private final List<ServerSocket> tailnetPorts = new ArrayList<>();
    private final AtomicInteger preconditionFailures = new AtomicInteger();
    private final AtomicInteger writes = new AtomicInteger();

    // the node
    private String backendState = "Running";
    private String node = "puck-host";
    private String suffix = "tail1234.ts.net";
    private List<String> tags = List.of();
    private final Set<String> caps = new LinkedHashSet<>(List.of("https"));
    private boolean shieldsUp;
    // its state
    private JsonNode serveConfig = JSON.nullNode();
    private final List<String> advertised = new ArrayList<>();

    /** @param socket where to listen */
    public TailscaledStandIn(Path socket) {
        this.socket = socket;
    }

    /** @return this, listening @throws IOException if it cannot */
    public TailscaledStandIn start() throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        server = s;
        Thread.ofPlatform().daemon().name("tailscaled-standin").start(() -> {
            while (s.isOpen()) {
                try {
                    SocketChannel c = s.accept();
                    Thread.ofVirtual().start(() -> serve(c));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** Stops listening and removes the socket, as tailscaled going away does. Its state stays, as tailscaled's state file does. */
    public void stop() throws IOException {
        ServerSocketChannel s = server;
        if (s != null) {
            s.close();
        }
        Files.deleteIfExists(socket);
    }

    /** @return the socket */
    public Path socket() {
        return socket;
    }

    /** @return the node's name, e.g. {@code puck-host.tail1234.ts.net} */
    public String nodeName() {
        return node + "." + suffix;
    }

    /** @return the MagicDNS suffix */
    public String suffix() {
        return suffix;
    }

    /** @param tags the node's tags, e.g. {@code tag:puck} (a tagged node can host services) @return this */
    public TailscaledStandIn tags(String... tags) {
        synchronized (lock) {
            this.tags = List.of(tags);
        }
        return this;
    }

    /** Gives the node Funnel: the {@code funnel} attribute and {@code funnel-ports} 443, 8443 and 10000. @return this */
    public TailscaledStandIn funnel() {
        synchronized (lock) {
            caps.add("funnel");
            caps.add("https://tailscale.com/cap/funnel-ports?ports=443,8443,10000");
        }
        return this;
    }

    /** @param https whether the tailnet has HTTPS certificates on @return this */
    public TailscaledStandIn https(boolean https) {
        synchronized (lock) {
            if (https) {
                caps.add("https");
            } else {
                caps.remove("https");
            }
        }
        return this;
    }

    /** @param state e.g. {@code NeedsLogin} @return this */
    public TailscaledStandIn backendState(String state) {
        synchronized (lock) {
            this.backendState = state;
        }
        return this;
    }

    /** @param on shields up (no incoming connections, so no Funnel) @return this */
    public TailscaledStandIn shieldsUp(boolean on) {
        synchronized (lock) {
            this.shieldsUp = on;
        }
        return this;
    }

    /** @return the serve configuration now, as {@code tailscale serve status --json} shows it */
    public JsonNode serveConfig() {
        synchronized (lock) {
            return serveConfig.deepCopy();
        }
    }

    /** Empties the serve configuration, as {@code tailscale serve reset} does. */
    public void reset() {
        synchronized (lock) {
            serveConfig = JSON.nullNode();
        }
    }

    /** @return the advertised services */
    public List<String> advertisedServices() {
        synchronized (lock) {
            return List.copyOf(advertised);
        }
    }

    /** @return how many writes were refused with 412 */
    public int preconditionFailures() {
        return preconditionFailures.get();
    }

    /** @return how many writes were accepted */
    public int writes() {
        return writes.get();
    }

    // ---- the LocalAPI ----

    private record Request(String method, String path, String query, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private record Answer(int status, Map<String, String> headers, String body) {}

    private void serve(SocketChannel c) {
        try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            Request r = read(in);
            if (r == null) {
                return;
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 3)); // a real daemon takes a little while
            Answer a = handle(r);
            write(out, a);
        } catch (IOException | InterruptedException e) {
            // the client went away
        }
    }

    private Answer handle(Request r) {
        String host = r.header("host");
        if (r.header("referer") != null || r.header("origin") != null || !(host == null || host.isEmpty() || host.equals(LocalApi.HOST))) {
            return text(403, "invalid localapi request");
        }
        return switch (r.path()) {
            case "/localapi/v0/status" -> json(200, status(), Map.of());
            case "/localapi/v0/serve-config" -> switch (r.method()) {
                case "GET" -> {
                    synchronized (lock) {
                        String body = serveConfig.toString();
                        yield json(200, body, Map.of("Etag", etag(body)));
                    }
                }
                case "POST" -> setServeConfig(r);
                default -> text(405, "method not allowed");
            };
            case "/localapi/v0/prefs" -> switch (r.method()) {
                case "GET", "HEAD" -> json(200, prefs(), Map.of());
                case "PATCH" -> editPrefs(r);
                default -> text(405, "unsupported method");
            };
            default -> text(404, "404 page not found");
        };
    }

    private String status() {
        synchronized (lock) {
            ObjectNode st = JSON.createObjectNode().put("Version", "1.90.0-standin").put("BackendState", backendState)
                    .put("MagicDNSSuffix", suffix);
            ObjectNode self = st.putObject("Self").put("HostName", node).put("DNSName", node + "." + suffix + ".").put("Online", true);
            self.putArray("TailscaleIPs").add("100.101.102.103");
            if (!tags.isEmpty()) {
                ArrayNode t = self.putArray("Tags");
                tags.forEach(t::add);
            }
            ObjectNode capMap = self.putObject("CapMap");
            caps.forEach(c -> capMap.putNull(c));
            st.putObject("CurrentTailnet").put("Name", "puck@example.com").put("MagicDNSSuffix", suffix).put("MagicDNSEnabled", true);
            st.putArray("CertDomains").add(node + "." + suffix);
            return st.toString();
        }
    }

    private Answer setServeConfig(Request r) {
        JsonNode in;
        try {
            in = JSON.readTree(r.body());
            if (in == null) {
                return errorJson("decoding config: EOF");
            }
            String typeError = typeError(in);
            if (typeError != null) {
                return errorJson("decoding config: " + typeError);
            }
        } catch (JsonProcessingException e) {
            return errorJson("decoding config: invalid character looking for beginning of value (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            return errorJson("decoding config: " + e.getMessage());
        }
        synchronized (lock) {
            String etag = r.header("if-match");
            if (etag != null && !etag.isEmpty() && !etag.equals(etag(serveConfig.toString()))) {
                preconditionFailures.incrementAndGet();
                return text(412, "etag mismatch");
            }
            if (shieldsUp && funnelOn(in)) {
                return errorJson("updating config: Unable to turn on Funnel while shields-up is enabled");
            }
            String conflict = conflict(serveConfig, in);
            if (conflict != null) {
                return errorJson("updating config: " + conflict);
            }
            serveConfig = in;
            writes.incrementAndGet();
            return new Answer(200, Map.of(), "");
        }
    }

    /** What Go's decoder says about a wrong type in an ipn.ServeConfig, or null. */
    private static String typeError(JsonNode in) {
        if (in.isNull()) {
            return null;
        }
        if (!in.isObject()) {
            return "json: cannot unmarshal " + kind(in) + " into Go value of type ipn.ServeConfig";
        }
        List<JsonNode> scopes = new ArrayList<>(List.of(in));
        in.path("Services").forEach(scopes::add);
        in.path("Foreground").forEach(scopes::add);
        for (JsonNode scope : scopes) {
            for (var it = scope.path("TCP").fieldNames(); it.hasNext(); ) {
                String port = it.next();
                if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
                    return "json: cannot unmarshal number " + port + " into Go value of type uint16";
                }
                JsonNode h = scope.path("TCP").get(port);
                if (!h.isObject() && !h.isNull()) {
                    return "json: cannot unmarshal " + kind(h) + " into Go struct field ServeConfig.TCP of type ipn.TCPPortHandler";
                }
                if (h.has("HTTPS") && !h.get("HTTPS").isBoolean()) {
                    return "json: cannot unmarshal " + kind(h.get("HTTPS")) + " into Go struct field TCPPortHandler.TCP.HTTPS of type bool";
                }
            }
            for (JsonNode web : scope.path("Web")) {
                for (JsonNode handler : web.path("Handlers")) {
                    if (handler.has("Proxy") && !handler.get("Proxy").isTextual()) {
                        return "json: cannot unmarshal " + kind(handler.get("Proxy")) + " into Go struct field HTTPHandler.Web.Handlers.Proxy of type string";
                    }
                }
            }
        }
        for (JsonNode v : in.path("AllowFunnel")) {
            if (!v.isBoolean()) {
                return "json: cannot unmarshal " + kind(v) + " into Go struct field ServeConfig.AllowFunnel of type bool";
            }
        }
        return null;
    }

    private static String kind(JsonNode n) {
        return n.isTextual() ? "string" : n.isNumber() ? "number" : n.isArray() ? "array" : n.isBoolean() ? "bool" : "object";
    }

    private static boolean funnelOn(JsonNode in) {
        for (JsonNode v : in.path("AllowFunnel")) {
            if (v.asBoolean()) {
                return true;
            }
        }
        return false;
    }

    /** validateServeConfigUpdate: a port keeps its serve type. */
    private static String conflict(JsonNode existing, JsonNode incoming) {
        if (existing.isNull() || incoming.isNull()) {
            return null;
        }
        for (var it = incoming.path("TCP").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode old = existing.path("TCP").get(e.getKey());
            if (old != null && !serveType(old).equals(serveType(e.getValue()))) {
                return "want to serve \"" + serveType(e.getValue()) + "\", but port " + e.getKey() + " is already serving \"" + serveType(old) + "\"";
            }
        }
        for (var svcs = incoming.path("Services").fields(); svcs.hasNext(); ) {
            var svc = svcs.next();
            for (var it = svc.getValue().path("TCP").fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode old = existing.path("Services").path(svc.getKey()).path("TCP").get(e.getKey());
                if (old != null && !serveType(old).equals(serveType(e.getValue()))) {
                    return "want to serve \"" + serveType(e.getValue()) + "\", but port " + e.getKey() + " is already serving \"" + serveType(old)
                            + "\" for " + svc.getKey();
                }
            }
        }
        return null;
    }

    private static String serveType(JsonNode h) {
        if (h.path("HTTP").asBoolean()) {
            return "http";
        }
        if (h.path("HTTPS").asBoolean()) {
            return "https";
        }
        if (!h.path("TerminateTLS").asText().isEmpty()) {
            return "tls-terminated-tcp";
        }
        return h.path("TCPForward").asText().isEmpty() ? "unknownServeType" : "tcp";
    }

    private String prefs() {
        synchronized (lock) {
            ObjectNode p = JSON.createObjectNode().put("WantRunning", true).put("ShieldsUp", shieldsUp);
            ArrayNode a = p.putArray("AdvertiseServices");
            advertised.forEach(a::add);
            return p.toPrettyString();
        }
    }

    private Answer editPrefs(Request r) {
        JsonNode in;
        try {
            in = JSON.readTree(r.body());
        } catch (IOException e) {
            return text(400, "invalid character looking for beginning of value");
        }
        synchronized (lock) {
            if (in.path("AdvertiseServicesSet").asBoolean()) {
                advertised.clear();
                in.path("AdvertiseServices").forEach(s -> advertised.add(s.asText()));
            }
        }
        return json(200, prefs(), Map.of());
    }

    private static String etag(String json) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Answer text(int status, String message) {
        return new Answer(status, Map.of("Content-Type", "text/plain; charset=utf-8", "X-Content-Type-Options", "nosniff"), message + "\n");
    }

    private static Answer json(int status, String body, Map<String, String> extra) {
        Map<String, String> h = new LinkedHashMap<>(extra);
        h.put("Content-Type", "application/json");
        return new Answer(status, h, body + "\n");
    }

    private static Answer errorJson(String error) {
        return new Answer(500, Map.of("Content-Type", "application/json"), JSON.createObjectNode().put("error", error) + "\n");
    }

    private static Request read(InputStream in) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        String[] first = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        String target = first[1];
        int q = target.indexOf('?');
        return new Request(first[0], q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), headers, body);
    }

    /** The request or response head up to the blank line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            int n = b.size();
            if (n >= 4) {
                byte[] a = b.toByteArray();
                if (a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                    return new String(a, 0, n - 4, StandardCharsets.ISO_8859_1);
                }
            }
        }
        return null;
    }

    private static void write(OutputStream out, Answer a) throws IOException {
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(a.status()).append(' ').append(reason(a.status())).append("\r\n");
        h.append("Tailscale-Version: 1.90.0-standin\r\n");
        a.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        h.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 412 -> "Precondition Failed";
            default -> "Internal Server Error";
        };
    }

    // ---- the tailnet side ----

    /**
     * Opens a loopback port standing for the node's tailnet port {@code tailnetPort}: requests
     * to it are handled as tailscaled handles them once TLS is off.
     *
     * @param tailnetPort e.g. 443
     * @return the loopback port
     * @throws IOException if it cannot listen
     */
    public int listen(int tailnetPort) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        synchronized (tailnetPorts) {
            tailnetPorts.add(s);
        }
        Thread.ofPlatform().daemon().name("tailscaled-standin-" + tailnetPort).start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket c = s.accept();
                    Thread.ofVirtual().start(() -> forward(c, tailnetPort));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return s.getLocalPort();
    }

    /** Picks the handler by Host name and port (getServeHandler) and proxies with the Host kept (reverseProxy's Rewrite). */
    private void forward(Socket client, int port) {
        try (client; InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String host = "";
            StringBuilder rest = new StringBuilder();
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i].toLowerCase(Locale.ROOT);
                if (l.startsWith("host:")) {
                    host = lines[i].substring(5).strip();
                } else if (!l.startsWith("x-forwarded-")) {
                    rest.append(lines[i]).append("\r\n");
                }
            }
            String name = host.replaceAll(":\\d+$", "");
            String proxy = handlerFor(name, port);
            if (proxy == null) {
                write(out, text(502, "no handler for " + name + ":" + port));
                return;
            }
            java.net.URI target = java.net.URI.create(proxy.contains("://") ? proxy : "http://" + proxy);
            try (Socket up = new Socket(target.getHost(), target.getPort())) {
                String outHead = lines[0] + "\r\nHost: " + host + "\r\n" + rest + "X-Forwarded-Host: " + host + "\r\nX-Forwarded-Proto: https\r\n"
                        + "X-Forwarded-For: 100.64.0.7\r\n\r\n";
                up.getOutputStream().write(outHead.getBytes(StandardCharsets.ISO_8859_1));
                Thread pump = Thread.ofVirtual().start(() -> {
                    try {
                        in.transferTo(up.getOutputStream());
                    } catch (IOException e) {
                        // closed
                    }
                });
                up.getInputStream().transferTo(out);
                pump.interrupt();
            }
        } catch (IOException e) {
            // the client or the target went away
        }
    }

    private String handlerFor(String name, int port) {
        synchronized (lock) {
            String hp = name + ":" + port;
            JsonNode scope = serveConfig;
            if (!name.equals(nodeName())) {
                String label = name.endsWith("." + suffix) ? name.substring(0, name.length() - suffix.length() - 1) : "";
                if (!advertised.contains("svc:" + label)) {
                    return null; // a service this node does not advertise: its name does not lead here
                }
                scope = serveConfig.path("Services").path("svc:" + label);
            }
            if (!scope.path("TCP").path(Integer.toString(port)).path("HTTPS").asBoolean()) {
                return null;
            }
            JsonNode p = scope.path("Web").path(hp).path("Handlers").path("/").path("Proxy");
            return p.isTextual() ? p.asText() : null;
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        synchronized (tailnetPorts) {
            for (ServerSocket s : tailnetPorts) {
                s.close();
            }
        }
    }
}
