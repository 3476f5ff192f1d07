package labs.sandwich.puck.network.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.IngressUnavailableException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.BackendState;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sprites' ports on the tailnet ({@code TAILNET}) and on the internet through Funnel
 * ({@code PUBLIC}), by editing tailscaled's serve configuration through its LocalAPI.
 *
 * <p>The path of a request: tailscaled terminates TLS for the tailnet name and proxies to a
 * loopback port of Puck's Caddy that serves this one exposure and nothing else; Caddy sends it
 * to the sprite while it is awake and to the activator, which wakes it, while it sleeps. A port
 * of its own per exposure, not a Host route: tailscaled picks its handler by the TLS server
 * name but passes the client's Host header through, so a Host route could be reached through
 * another name, one with a wider audience.
 *
 * <p>Where the URL comes from:
 * <ul>
 *   <li>{@code TAILNET} on a tagged node: a Tailscale Service {@code svc:<sprite>}, so
 *       {@code https://<sprite>.<tailnet>.ts.net/} (the sprite's first exposed port; its other
 *       ports on the same name at their own number). The node advertises the service
 *       ({@code AdvertiseServices}); the service must be defined, and the node approved as its
 *       host, in the admin console.</li>
 *   <li>{@code TAILNET} on an untagged node (services need tags) or with
 *       {@code tailscale.services=off}: the node's own name at a port of the
 *       {@code tailscale.node-ports} range, {@code https://<node>.<tailnet>.ts.net:9443/}.</li>
 *   <li>{@code PUBLIC}: Funnel serves only the node's own name, on the ports its
 *       {@code funnel-ports} attribute allows (443, 8443 and 10000 today), and not services:
 *       {@code https://<node>.<tailnet>.ts.net[:8443|:10000]/}, at most one sprite per port.</li>
 * </ul>
 *
 * <p>Every change is a read-modify-write of the whole document under its ETag ({@code If-Match});
 * when another writer changed it meanwhile (412) Puck reads again and redoes its change. Puck
 * changes only entries it made (recorded in the store, and still proxying to its port), so other
 * users of the node's serve configuration keep theirs.
 */
public final class TailscaleIngress implements Ingress {
    private static final Logger LOG = LoggerFactory.getLogger(TailscaleIngress.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Store owner of Puck's records; the dot keeps it apart from every sprite name. */
    static final String OWNER = "puck.tailscale";
    static final String CAP_HTTPS = "https";
    static final String CAP_FUNNEL = "funnel";
    static final String CAP_FUNNEL_PORTS = "https://tailscale.com/cap/funnel-ports";
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int ATTEMPTS = 25;

    private final LocalApi api;
    private final CaddyIngress caddy;
    private final BackendState state;
    private final boolean services;
    private final int[] nodePorts;
    /** Exposures whose serve entry this process has seen in place: a state flip then only touches Caddy. */
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    private volatile boolean reportedDown;

    /**
     * @param api       tailscaled's LocalAPI
     * @param caddy     Puck's Caddy, which holds a server per exposure
     * @param state     the store, where Puck records the entries it made
     * @param services  whether a tagged node publishes {@code TAILNET} through Tailscale Services
     * @param nodePorts the first and last port for {@code TAILNET} on the node's own name
     */
    public TailscaleIngress(LocalApi api, CaddyIngress caddy, BackendState state, boolean services, int[] nodePorts) {
        this.api = api;
        this.caddy = caddy;
        this.state = state;
        this.services = services;
        this.nodePorts = nodePorts.clone();
    }

    @Override
    public String name() {
        return "tailscale";
    }

    @Override
    public Set<ExposureMode> modes() {
        return Set.of(ExposureMode.TAILNET, ExposureMode.PUBLIC);
    }

    /** Where one exposure sits in the serve configuration: a service's or the node's, host, port, and Caddy's loopback port. */
    record Placement(ExposureMode mode, String svc, String host, int port, int caddyPort) {
        String hostPort() {
            return host + ":" + port;
        }

        String proxy() {
            return "http://127.0.0.1:" + caddyPort;
        }

        URI url() {
            return URI.create("https://" + host + (port == 443 ? "" : ":" + port) + "/");
        }

        String json() {
            return JSON.createObjectNode().put("mode", mode.name()).put("svc", svc).put("host", host).put("port", port)
                    .put("caddy", caddyPort).toString();
        }

        static Placement parse(String json) {
            try {
                JsonNode n = JSON.readTree(json);
                return new Placement(ExposureMode.valueOf(n.path("mode").asText()), n.path("svc").asText(), n.path("host").asText(),
                        n.path("port").asInt(), n.path("caddy").asInt());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** What the status says about this node. */
    record Node(String dnsName, String suffix, boolean tagged, Set<String> caps) {
        static Node of(JsonNode status) {
            String backend = status.path("BackendState").asText();
            if (!backend.equals("Running")) {
                throw LocalApi.unavailable("tailscaled is " + (backend.isEmpty() ? "in an unknown state" : backend)
                                + (backend.equals("NeedsLogin") ? " (not logged in to a tailnet)" : ""),
                        "Run `sudo tailscale up` and retry; `tailscale status` shows the state.");
            }
            JsonNode self = status.path("Self");
            String dns = self.path("DNSName").asText().replaceAll("\\.$", "");
            String suffix = status.path("CurrentTailnet").path("MagicDNSSuffix").asText(status.path("MagicDNSSuffix").asText());
            if (dns.isEmpty() || suffix.isEmpty() || !status.path("CurrentTailnet").path("MagicDNSEnabled").asBoolean(true)) {
                throw LocalApi.unavailable("this tailnet has no MagicDNS names, which tailnet URLs are",
                        "Turn MagicDNS on in the admin console (DNS page) and retry.");
            }
            Set<String> caps = new LinkedHashSet<>();
            self.path("CapMap").fieldNames().forEachRemaining(caps::add);
            self.path("Capabilities").forEach(c -> caps.add(c.asText()));
            return new Node(dns, suffix, self.path("Tags").isArray() && !self.path("Tags").isEmpty(), caps);
        }

        /** The ports Funnel may use on this node, from its {@code funnel-ports} attribute, e.g. {@code ?ports=443,8443,10000}. */
        List<Integer> funnelPorts() {
            List<Integer> ports = new ArrayList<>();
            for (String cap : caps) {
                if (cap.startsWith(CAP_FUNNEL_PORTS + "?")) {
                    for (String part : cap.substring(cap.indexOf("ports=") + 6).split("[,&]")) {
                        String[] range = part.strip().split("-");
                        if (range[0].matches("\\d{1,5}")) {
                            int from = Integer.parseInt(range[0]);
                            int to = range.length > 1 && range[1].matches("\\d{1,5}") ? Integer.parseInt(range[1]) : from;
                            for (int p = from; p <= to && p <= 65535; p++) {
                                ports.add(p);
                            }
                        }
                    }
                }
            }
            return ports;
        }
    }

    @Override
    public synchronized URI publish(Route route) {
        ExposureMode mode = route.mode();
        if (!modes().contains(mode)) {
            throw new IllegalArgumentException("the tailscale ingress serves TAILNET and PUBLIC, not " + mode);
        }
        if (!LABEL.matcher(route.sprite()).matches()) {
            throw new InvalidSpecException("name", "'" + route.sprite() + "' cannot be a tailnet name.",
                    "Use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit.");
        }
        if (route.port() < 1 || route.port() > 65535) {
            throw new InvalidSpecException("port", "Port " + route.port() + " is not a TCP port.", "Use 1-65535.");
        }
        String key = key(route.sprite(), route.port());
        Optional<Placement> rec = recorded(key);
        if (rec.isPresent() && rec.get().mode() == mode && confirmed.contains(key)) {
            caddy.putServer(server(key), rec.get().caddyPort(), route); // a state flip: only where Caddy sends it changes
            return rec.get().url();
        }
        Node node = Node.of(api.status());
        checkCapabilities(node, mode);
        Optional<String> pending = state.get(OWNER, key).filter(TailscaleIngress::isWithdrawing);
        if (pending.isPresent()) {
            finishWithdrawal(key, Placement.parse(pending.get().substring(WITHDRAWING.length()))); // withdrawn while tailscaled was away
        }
        int caddyPort = rec.map(Placement::caddyPort).orElseGet(TailscaleIngress::freeLoopbackPort);
        caddy.putServer(server(key), caddyPort, route); // first, so tailscaled never points at a port nobody serves
        Placement placed;
        try {
            placed = readModifyWrite(config -> {
                if (rec.isPresent() && rec.get().mode() == mode && ours(config, rec.get())) {
                    return rec.get();
                }
                rec.ifPresent(old -> remove(config, old));
                Placement p = place(config, node, route, caddyPort);
                add(config, p);
                return p;
            });
        } catch (RuntimeException e) {
            if (rec.isEmpty()) {
                caddy.removeServer(server(key));
            }
            throw e;
        }
        state.put(OWNER, key, placed.json());
        if (!placed.svc().isEmpty()) {
            advertise(placed.svc(), true);
        }
        if (rec.isPresent() && !rec.get().svc().isEmpty() && !rec.get().svc().equals(placed.svc())) {
            advertise(rec.get().svc(), false);
        }
        confirmed.add(key);
        return placed.url();
    }

    @Override
    public synchronized void withdraw(String sprite, int port) {
        String key = key(sprite, port);
        Optional<Placement> rec = recorded(key);
        if (rec.isEmpty()) {
            return;
        }
        confirmed.remove(key);
        caddy.removeServer(server(key)); // first: from now on the URL leads nowhere, whatever tailscaled does
        try {
            finishWithdrawal(key, rec.get());
        } catch (IngressUnavailableException e) {
            // The record stays, marked, and revive() removes the entry once tailscaled answers again.
            state.put(OWNER, key, withdrawing(rec.get()));
            LOG.warn("{} is no longer served (its Caddy server is gone), but tailscaled could not be told: {}. "
                    + "Puck removes its serve entry when tailscaled answers again.", rec.get().url(), e.problem());
        }
    }

    private void finishWithdrawal(String key, Placement p) {
        readModifyWrite(config -> {
            remove(config, p);
            return p;
        });
        state.remove(OWNER, key);
        if (!p.svc().isEmpty()) {
            advertise(p.svc(), false);
        }
    }

    /**
     * Starts Caddy again if it died, finishes withdrawals tailscaled missed, and says whether an
     * entry Puck made is gone (Caddy restarted empty, or the serve configuration was reset):
     * then the engine publishes every route again. While tailscaled is down it says no: nothing
     * can be published then, and the entries are still there for when it comes back.
     */
    @Override
    public synchronized boolean revive() {
        Map<String, String> records = state.all(OWNER);
        if (records.isEmpty()) {
            return false;
        }
        boolean lost = false;
        for (Map.Entry<String, String> r : records.entrySet()) {
            if (!isWithdrawing(r.getValue()) && caddy.serverUpstream(server(r.getKey())).isEmpty()) {
                lost = true; // Caddy restarted (by this ingress or another) without this exposure's server
            }
        }
        ObjectNode config;
        try {
            config = api.serveConfig().config();
        } catch (IngressUnavailableException e) {
            if (!reportedDown) {
                LOG.warn("Tailnet URLs are not served while tailscaled is unavailable: {}", e.problem());
                reportedDown = true;
            }
            confirmed.clear();
            return lost;
        }
        if (reportedDown) {
            LOG.info("tailscaled answers again");
            reportedDown = false;
        }
        for (Map.Entry<String, String> r : records.entrySet()) {
            if (isWithdrawing(r.getValue())) {
                finishWithdrawal(r.getKey(), Placement.parse(r.getValue().substring(WITHDRAWING.length())));
            } else if (!ours(config, Placement.parse(r.getValue()))) {
                LOG.warn("Puck's serve entry for {} is gone from tailscaled's configuration; publishing it again", r.getKey());
                confirmed.remove(r.getKey());
                lost = true;
            }
        }
        return lost;
    }

    /** @return the URLs Puck has published through tailscaled, by {@code sprite:port}, for tests and doctor */
    public synchronized Map<String, URI> published() {
        Map<String, URI> urls = new java.util.TreeMap<>();
        state.all(OWNER).forEach((k, v) -> {
            if (!isWithdrawing(v)) {
                urls.put(k, Placement.parse(v).url());
            }
        });
        return urls;
    }

    private static final String WITHDRAWING = "withdrawing:";

    private static String withdrawing(Placement p) {
        return WITHDRAWING + p.json();
    }

    private static boolean isWithdrawing(String record) {
        return record.startsWith(WITHDRAWING);
    }

    private Optional<Placement> recorded(String key) {
        return state.get(OWNER, key).filter(v -> !isWithdrawing(v)).map(Placement::parse);
    }

    private static void checkCapabilities(Node node, ExposureMode mode) {
        // tailscaled itself accepts a serve entry it cannot serve; its CLI checks these first, and so does Puck, with its words.
        if (!node.caps().contains(CAP_HTTPS)) {
            throw LocalApi.unavailable(mode == ExposureMode.PUBLIC ? "Funnel not available; HTTPS must be enabled. See https://tailscale.com/s/https"
                            : "HTTPS certificates are not enabled for this tailnet, and tailnet URLs are https",
                    "Enable HTTPS in the admin console (DNS page, HTTPS Certificates; https://tailscale.com/s/https) and retry.");
        }
        if (mode == ExposureMode.PUBLIC && !node.caps().contains(CAP_FUNNEL)) {
            throw LocalApi.unavailable("Funnel not available; \"funnel\" node attribute not set. See https://tailscale.com/s/no-funnel",
                    "Allow Funnel for this node in the tailnet policy file (a nodeAttrs entry with \"funnel\"), then retry.");
        }
    }

    /** Chooses where a new exposure goes. */
    private Placement place(ObjectNode config, Node node, Route route, int caddyPort) {
        if (route.mode() == ExposureMode.PUBLIC) {
            List<Integer> allowed = node.funnelPorts();
            if (allowed.isEmpty()) {
                throw LocalApi.unavailable("Funnel allows no port on this node (no funnel-ports attribute)",
                        "Check the node's Funnel attributes in the tailnet policy file.");
            }
            for (int p : allowed) {
                if (!portTaken(config, "", p)) {
                    return new Placement(ExposureMode.PUBLIC, "", node.dnsName(), p, caddyPort);
                }
            }
            throw LocalApi.unavailable("Funnel serves only this node's own name, on ports " + allowed
                            + ", and every one of them is already served (`tailscale serve status` shows by what)",
                    "Withdraw a public exposure (`puck expose NAME PORT --withdraw`) or free one of those ports "
                            + "(`tailscale funnel --https=PORT off`), or expose to the tailnet only (--tailnet).");
        }
        if (services && node.tagged()) {
            String svc = "svc:" + route.sprite();
            int port = route.primary() ? 443 : route.port();
            if (portTaken(config, svc, port)) {
                throw LocalApi.unavailable("port " + port + " of the service " + svc + " is already served by something Puck did not set up",
                        "See `tailscale serve status`; remove that entry (`tailscale serve --service=" + svc + " --https=" + port + " off`) or rename the sprite.");
            }
            return new Placement(ExposureMode.TAILNET, svc, route.sprite() + "." + node.suffix(), port, caddyPort);
        }
        for (int p = nodePorts[0]; p <= nodePorts[1]; p++) {
            if (!portTaken(config, "", p)) {
                return new Placement(ExposureMode.TAILNET, "", node.dnsName(), p, caddyPort);
            }
        }
        throw LocalApi.unavailable("every port of tailscale.node-ports (" + nodePorts[0] + "-" + nodePorts[1] + ") is already served on this node",
                "Withdraw an exposure, or widen PUCK_TAILSCALE_NODE_PORTS (e.g. 9443-9999).");
    }

    /** Reads the document, changes it, and writes it back under its ETag, again from the start whenever another writer came first. */
    private Placement readModifyWrite(Function<ObjectNode, Placement> change) {
        for (int attempt = 1; ; attempt++) {
            LocalApi.ServeConfig sc = api.serveConfig();
            ObjectNode before = sc.config().deepCopy();
            Placement result = change.apply(sc.config());
            if (sc.config().equals(before)) {
                return result; // nothing to write
            }
            try {
                api.setServeConfig(sc.config(), sc.etag());
                return result;
            } catch (LocalApi.StaleETagException stale) {
                if (attempt == ATTEMPTS) {
                    throw LocalApi.unavailable("another program changed tailscaled's serve configuration " + ATTEMPTS
                            + " times while Puck tried to change it (412 " + stale.getMessage() + ")", "Retry when it is done.");
                }
                sleep(ThreadLocalRandom.current().nextInt(2, 10 + 5 * attempt)); // jittered: two writers do not retry in step
            }
        }
    }

    /** Adds or removes a service in the node's advertised services (not under an ETag: the preferences have none). */
    private void advertise(String svc, boolean on) {
        JsonNode prefs = api.prefs();
        List<String> advertised = new ArrayList<>();
        prefs.path("AdvertiseServices").forEach(s -> advertised.add(s.asText()));
        if (on == advertised.contains(svc)) {
            return;
        }
        if (!on && stillServed(svc)) {
            return;
        }
        if (on) {
            advertised.add(svc);
        } else {
            advertised.remove(svc);
        }
        ObjectNode masked = JSON.createObjectNode().put("AdvertiseServicesSet", true);
        ArrayNode list = masked.putArray("AdvertiseServices");
        advertised.forEach(list::add);
        api.editPrefs(masked);
    }

    private boolean stillServed(String svc) {
        return api.serveConfig().config().path("Services").has(svc);
    }

    // ---- the serve configuration document (ipn.ServeConfig) ----

    /** The part of the document an exposure lives in: the node's top level, or {@code Services[svc]}. */
    private static Optional<ObjectNode> scope(ObjectNode config, String svc, boolean create) {
        if (svc.isEmpty()) {
            return Optional.of(config);
        }
        Optional<ObjectNode> services = child(config, "Services", create);
        return services.flatMap(s -> child(s, svc, create));
    }

    private static Optional<ObjectNode> child(ObjectNode parent, String field, boolean create) {
        JsonNode n = parent.get(field);
        if (n instanceof ObjectNode o) {
            return Optional.of(o);
        }
        return create ? Optional.of(parent.putObject(field)) : Optional.empty();
    }

    /** Whether a port is served already: in the scope, and for the node also by a foreground {@code tailscale serve}. */
    static boolean portTaken(ObjectNode config, String svc, int port) {
        String p = Integer.toString(port);
        if (scope(config, svc, false).map(s -> s.path("TCP").has(p)).orElse(false)) {
            return true;
        }
        if (svc.isEmpty()) {
            for (JsonNode fg : config.path("Foreground")) {
                if (fg.path("TCP").has(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the document holds this exposure as Puck made it (serving HTTPS, proxying to Puck's port). */
    static boolean ours(ObjectNode config, Placement p) {
        return scope(config, p.svc(), false).map(s -> s.path("TCP").path(Integer.toString(p.port())).path("HTTPS").asBoolean(false)
                && p.proxy().equals(s.path("Web").path(p.hostPort()).path("Handlers").path("/").path("Proxy").asText(null))
                && (p.mode() != ExposureMode.PUBLIC || config.path("AllowFunnel").path(p.hostPort()).asBoolean(false))).orElse(false);
    }

    static void add(ObjectNode config, Placement p) {
        ObjectNode scope = scope(config, p.svc(), true).orElseThrow();
        child(scope, "TCP", true).orElseThrow().putObject(Integer.toString(p.port())).put("HTTPS", true);
        child(scope, "Web", true).orElseThrow().putObject(p.hostPort()).putObject("Handlers").putObject("/").put("Proxy", p.proxy());
        if (p.mode() == ExposureMode.PUBLIC) {
            child(config, "AllowFunnel", true).orElseThrow().put(p.hostPort(), true);
        }
    }

    /** Removes what Puck made for this exposure, and nothing else: an entry someone changed since is theirs now. */
    static void remove(ObjectNode config, Placement p) {
        Optional<ObjectNode> found = scope(config, p.svc(), false);
        if (found.isEmpty()) {
            return;
        }
        ObjectNode scope = found.get();
        JsonNode web = scope.path("Web").path(p.hostPort());
        JsonNode handlers = web.path("Handlers");
        if (!p.proxy().equals(handlers.path("/").path("Proxy").asText(null))) {
            return;
        }
        if (handlers.size() > 1) {
            ((ObjectNode) handlers).remove("/"); // someone mounted more under this name and port: theirs stay, with the port
            return;
        }
        ((ObjectNode) scope.get("Web")).remove(p.hostPort());
        String port = Integer.toString(p.port());
        boolean portStillUsed = false;
        for (Iterator<String> it = scope.path("Web").fieldNames(); it.hasNext(); ) {
            if (it.next().endsWith(":" + port)) {
                portStillUsed = true;
            }
        }
        if (!portStillUsed && scope.path("TCP").path(port).path("HTTPS").asBoolean(false)) {
            ((ObjectNode) scope.get("TCP")).remove(port);
        }
        if (config.path("AllowFunnel").has(p.hostPort())) {
            ((ObjectNode) config.get("AllowFunnel")).remove(p.hostPort());
        }
        for (String field : List.of("TCP", "Web")) {
            if (scope.path(field).isEmpty() && scope.has(field)) {
                scope.remove(field);
            }
        }
        if (!p.svc().isEmpty() && scope.isEmpty()) {
            ((ObjectNode) config.get("Services")).remove(p.svc());
        }
        for (String field : List.of("Services", "AllowFunnel", "TCP", "Web")) {
            if (config.has(field) && config.path(field).isEmpty()) {
                config.remove(field);
            }
        }
    }

    static String key(String sprite, int port) {
        return sprite + ":" + port;
    }

    /** The Caddy server that serves one exposure. */
    static String server(String key) {
        return "puck-ts-" + key.replace(':', '-');
    }

    private static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for Caddy", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying a serve configuration change", e);
        }
    }

    @Override
    public void close() {
        // The serve entries and Caddy's servers stay: URLs outlive the process, as Caddy's routes do.
    }
}
