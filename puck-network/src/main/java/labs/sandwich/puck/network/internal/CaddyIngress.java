package labs.sandwich.puck.network.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.Route;

/**
 * Sprites' ports at {@code http(s)://<name>.localhost} through a Caddy process: two servers on
 * the loopback address (plain HTTP, and HTTPS with certificates from Caddy's internal CA), one
 * route per exposed port in each, changed only through the admin API. Caddy outlives Puck's
 * processes; {@link #revive()} starts it again if it died, with an empty route table, and says
 * so (also when a publish found it dead and started it).
 *
 * <p>A route's config is fixed for as long as its port is exposed: every config change makes
 * Caddy open new listening sockets and close the old ones, and the kernel resets connections still
 * queued on a closed one (or Caddy closes them unanswered), so switching routes through the
 * config dropped other sprites' new connections at each neighbour's sleep and wake. Where a route
 * leads (the sprite, or the activator while it sleeps) is the {@link RouteSwitch}'s: nftables
 * where this process may change them ({@link KernelSwitch}: an awake route then dials the sprite
 * itself, as a bare route would), a file Caddy reads per request otherwise ({@link FileSwitch}).
 */
public final class CaddyIngress implements Ingress {
    static final String HTTP = "puck-http";
    static final String HTTPS = "puck-https";
    /** The address Caddy dials from under the kernel switch unless {@code caddy.switch-address} says otherwise (RFC 2544's range, never routed). */
    public static final String DEFAULT_SWITCH_ADDRESS = "198.19.0.1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CaddyAdmin admin;
    private final Path binary;
    private final Path dir;
    private final String bind;
    private final int httpPort;
    private final int httpsPort;
    private final RouteSwitch routes;
    /** Whether this ingress started Caddy afresh since {@link #revive()} last said so. */
    private boolean restarted;

    /**
     * An ingress with the route switch {@code auto} and its default address.
     *
     * @param binary    the caddy executable
     * @param dir       Caddy's directory: admin socket, config, certificates, log
     * @param bind      the address to listen on; loopback unless the user says otherwise
     * @param httpPort  the HTTP port
     * @param httpsPort the HTTPS port
     */
    public CaddyIngress(Path binary, Path dir, String bind, int httpPort, int httpsPort) {
        this(binary, dir, bind, httpPort, httpsPort, "auto", DEFAULT_SWITCH_ADDRESS);
    }

    /**
     * @param binary        the caddy executable
     * @param dir           Caddy's directory: admin socket, config, certificates, log
     * @param bind          the address to listen on; loopback unless the user says otherwise
     * @param httpPort      the HTTP port
     * @param httpsPort     the HTTPS port
     * @param routeSwitch   how routes are switched between a sprite and the activator: {@code auto}, {@code kernel} or {@code file}
     * @param switchAddress the address Caddy dials from under the kernel switch
     */
    public CaddyIngress(Path binary, Path dir, String bind, int httpPort, int httpsPort, String routeSwitch, String switchAddress) {
        if (dir.toString().contains("{") || dir.toString().contains("}")) {
            throw new InvalidSpecException("caddy.dir", "Caddy's directory '" + dir + "' has a brace in it, which Caddy's placeholders cannot name.",
                    "Set puck.caddy.dir to a path without '{' or '}'.");
        }
        this.binary = binary;
        this.dir = dir.toAbsolutePath();
        this.bind = bind;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
        this.admin = new CaddyAdmin(dir.resolve("admin.sock"));
        this.routes = RouteSwitch.of(routeSwitch, this.dir, switchAddress);
    }

    @Override
    public String name() {
        return "caddy";
    }

    @Override
    public Set<ExposureMode> modes() {
        return Set.of(ExposureMode.LOCAL);
    }

    /** @return the admin socket */
    public Path adminSocket() {
        return admin.socket();
    }

    /**
     * {@inheritDoc} Also says yes once after a publish found Caddy dead and started it: that
     * publish brought back its own route only, and the engine must publish the others.
     */
    @Override
    public synchronized boolean revive() {
        ensureRunning();
        boolean lost = restarted;
        restarted = false;
        return lost;
    }

    /** Starts Caddy if it is dead, remembering that its routes are gone until {@link #revive()} says so. */
    private void ensureRunning() {
        // Caddy replaces its admin listener on every config change, so an unanswered call is not a dead Caddy:
        // dead means no Caddy process runs from this directory's config. Starting a second one would delete the
        // live one's admin socket and fight it for the ports.
        if (!answers() && !running()) {
            start();
            restarted = true;
        }
    }

    /** @return whether a Caddy runs from this ingress's config file (this process or another one started it) */
    private boolean running() {
        return processes(dir).findAny().isPresent();
    }

    /** @param dir a {@code caddy.dir} @return the Caddy processes running from its config file, found by it, never by name */
    static java.util.stream.Stream<ProcessHandle> processes(Path dir) {
        String config = " run --config " + dir.resolve("caddy.json"); // whatever the binary is called
        return ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains(config)).orElse(false));
    }

    private boolean answers() {
        try {
            return admin.call("GET", "/config/apps/http/servers/" + HTTP + "/listen", null).ok();
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts Caddy with its base config: the admin socket (0600), the two servers, no routes. */
    private void start() {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(admin.socket()); // left by a Caddy that died: nobody answers on it
            Path config = dir.resolve("caddy.json");
            Files.writeString(config, baseConfig());
            Path log = dir.resolve("caddy.log");
            List<String> command = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                command.add("/usr/bin/setsid"); // its own session: it outlives the process that started it
            }
            command.addAll(List.of(binary.toString(), "run", "--config", config.toString()));
            new ProcessBuilder(command).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!answers()) {
                if (System.nanoTime() > deadline) {
                    throw new BackendException("caddy", null, 0, "Caddy did not start; its log " + log + " ends: " + tail(log),
                            "Check that ports " + httpPort + " and " + httpsPort + " on " + bind + " are free (or set puck.caddy.http-port / https-port), then retry.", null);
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Caddy in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Caddy", e);
        }
    }

    String baseConfig() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("admin").put("listen", "unix/" + admin.socket() + "|0600").putObject("config").put("persist", false);
        root.putObject("storage").put("module", "file_system").put("root", dir.resolve("data").toString());
        ObjectNode apps = root.putObject("apps");
        ObjectNode http = apps.putObject("http").put("http_port", httpPort).put("https_port", httpsPort);
        ObjectNode servers = http.putObject("servers");
        ObjectNode plain = servers.putObject(HTTP);
        plain.putArray("listen").add(bind + ":" + httpPort);
        plain.putObject("automatic_https").put("disable", true);
        plain.putArray("routes").add(notFound());
        ObjectNode tls = servers.putObject(HTTPS);
        tls.putArray("listen").add(bind + ":" + httpsPort);
        tls.putArray("routes").add(notFound());
        // The internal CA signs the *.localhost certificates; it is not added to the system's trust store behind the user's back.
        apps.putObject("pki").putObject("certificate_authorities").putObject("local").put("install_trust", false);
        return root.toString();
    }

    /** The last route of each server: a name no sprite exposes gets a 404 that says so, not an empty 200. */
    private static ObjectNode notFound() {
        ObjectNode r = JSON.createObjectNode();
        r.putArray("handle").addObject().put("handler", "static_response").put("status_code", 404)
                .put("body", "No sprite is exposed at {http.request.host}. List them with `puck list`.\n");
        return r;
    }

    @Override
    public synchronized URI publish(Route route) {
        ensureRunning();
        String dial = routes.point(key(route.sprite(), route.port()), route); // first: a route Caddy gets next leads somewhere
        for (String server : List.of(HTTP, HTTPS)) {
            String id = id(route.sprite(), route.port(), server);
            ObjectNode desired = route(route, id, dial);
            if (!desired.equals(current("/id/" + id))) {
                String json = desired.toString();
                // A new route goes first (PUT on index 0 inserts), ahead of the 404 at the end.
                call("PATCH", "/id/" + id, json, 404, () -> call("PUT", "/config/apps/http/servers/" + server + "/routes/0", json, -1, null));
            }
        }
        String host = route.primary() ? route.sprite() + ".localhost" : route.port() + "-" + route.sprite() + ".localhost";
        return URI.create("http://" + host + (httpPort == 80 ? "" : ":" + httpPort) + "/");
    }

    private ObjectNode route(Route route, String id, String dial) {
        ObjectNode r = JSON.createObjectNode().put("@id", id).put("terminal", true);
        ArrayNode hosts = r.putArray("match").addObject().putArray("host");
        if (route.primary()) {
            hosts.add(route.sprite() + ".localhost");
        }
        hosts.add(route.port() + "-" + route.sprite() + ".localhost");
        handle(r.putArray("handle"), dial, route, true);
        return r;
    }

    /**
     * The route's proxy: to what the switch gave it to dial. The activator needs to know which
     * sprite a request is for: a {@code .localhost} route's Host says so (Caddy matched it), and
     * the route only removes a client's {@value Route#WAKE_HEADER}, so the sprite gets the request
     * as the client sent it; a server of its own ({@code named} false) sets that header on every
     * request, awake or not: the route is the same either way.
     */
    private void handle(ArrayNode handle, String dial, Route route, boolean named) {
        // Server-sent events flow as sent without a flush_interval: Caddy flushes text/event-stream at once by itself.
        ObjectNode proxy = handle.addObject().put("handler", "reverse_proxy")
                .put("stream_close_delay", "24h"); // a config change (an exposure added) would otherwise close every open websocket
        ObjectNode request = proxy.putObject("headers").putObject("request");
        if (named) {
            request.putArray("delete").add(Route.WAKE_HEADER);
        } else {
            request.putObject("set").putArray(Route.WAKE_HEADER).add(route.sprite() + ":" + route.port());
        }
        proxy.putArray("upstreams").addObject().put("dial", dial);
        routes.source().ifPresent(source -> proxy.putObject("transport").put("protocol", "http").put("local_address", source));
    }

    /** The name of a sprite port's route in the switch, shared by its HTTP and HTTPS routes. */
    private static String key(String sprite, int port) {
        return sprite + "-" + port;
    }

    /** @param sprite a sprite @param port its exposed port @return where its route sends requests now, if it is published */
    public Optional<String> upstream(String sprite, int port) {
        return routes.target(key(sprite, port));
    }

    /** @return how this ingress switches routes: {@code kernel} or {@code file}, with where */
    public String routeSwitch() {
        return routes.kind();
    }

    /** @return the config at {@code path}, or null where Caddy has none */
    private com.fasterxml.jackson.databind.JsonNode current(String path) {
        try {
            UnixHttp.Response r = admin.call("GET", path, null);
            return r.ok() ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Creates or replaces a server of its own for one route, on a loopback port, with no host
     * matcher: whatever reaches that port goes to the route's target. The Tailscale ingress points
     * tailscaled there, because tailscaled passes the client's Host header through unchecked
     * (it picks its handler by TLS server name), so a Host route could be reached from a name
     * with another audience.
     *
     * @param id    the server's name in Caddy's config
     * @param port  the loopback port it listens on
     * @param route where it leads
     */
    public synchronized void putServer(String id, int port, Route route) {
        ensureRunning();
        String dial = routes.point(id, route);
        ObjectNode server = JSON.createObjectNode();
        server.putArray("listen").add("127.0.0.1:" + port); // loopback always: only tailscaled on this machine connects
        server.putObject("automatic_https").put("disable", true);
        handle(server.putArray("routes").addObject().put("terminal", true).putArray("handle"), dial, route, false);
        if (!server.equals(current("/config/apps/http/servers/" + id))) {
            call("POST", "/config/apps/http/servers/" + id, server.toString(), -1, null); // POST sets or replaces a key
        }
    }

    /** @param id a server made by {@link #putServer}: removed, if there */
    public synchronized void removeServer(String id) {
        if (answers()) {
            call("DELETE", "/config/apps/http/servers/" + id, null, 404, () -> null);
        }
        routes.remove(id);
    }

    /**
     * @param id a server's name
     * @return where the server sends requests now, if Caddy has the server
     */
    public synchronized Optional<String> serverUpstream(String id) {
        return current("/config/apps/http/servers/" + id) == null ? Optional.empty() : routes.target(id);
    }

    @Override
    public synchronized void withdraw(String sprite, int port) {
        if (answers()) { // a Caddy that is not running has no routes
            for (String server : List.of(HTTP, HTTPS)) {
                call("DELETE", "/id/" + id(sprite, port, server), null, 404, () -> null);
            }
        }
        routes.remove(key(sprite, port));
    }

    /** @return the ids of the routes Caddy has now, for tests and doctor */
    public synchronized List<String> routeIds() {
        List<String> ids = new ArrayList<>();
        try {
            var routes = JSON.readTree(admin.call("GET", "/config/apps/http/servers/" + HTTP + "/routes", null).body());
            routes.forEach(r -> ids.add(r.path("@id").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    static String id(String sprite, int port, String server) {
        return "puck-" + sprite + "-" + port + "-" + (server.equals(HTTP) ? "http" : "https");
    }

    /** One admin call; {@code fallbackStatus} answered means: run {@code fallback} instead. */
    private Object call(String method, String path, String json, int fallbackStatus, java.util.function.Supplier<Object> fallback) {
        try {
            UnixHttp.Response r = admin.call(method, path, json);
            if (r.status() == fallbackStatus) {
                return fallback.get();
            }
            if (!r.ok()) {
                throw new BackendException("caddy", null, r.status(), "Caddy refused " + method + " " + path + ": " + r.body().strip(),
                        "This is a bug in Puck's Caddy ingress; `puck doctor` shows Caddy's state.", null);
            }
            return r;
        } catch (IOException e) {
            throw new BackendException("caddy", null, 0, "Caddy's admin socket " + admin.socket() + " does not answer (" + e.getMessage() + ").",
                    "Puck starts Caddy again on its next publish; `puck daemon` does so by itself.", e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        // Caddy keeps serving the routes; the next process adopts it through the socket.
    }
}
