package labs.sandwich.puck.network.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;

/**
 * Routes switched in the kernel, by an nftables map in the table {@code ip puck} that rewrites
 * new connections Caddy makes (DNAT in the output hook). Caddy dials from the switch address
 * (on {@code lo}; the proxy's {@code local_address}), and only connections from there are
 * rewritten: nothing else on this machine is steered.
 *
 * <p>A route whose sprite was awake when it was first published dials the sprite's own address,
 * exactly as a bare route would: while the sprite is awake, no rewrite is in its way (a rewrite
 * costs ~2% of a request that opens a connection). While it sleeps, one map element sends that
 * address to the activator. Such a route is <em>registered</em> in the set {@code direct}, so a
 * route published again while its sprite sleeps (after Caddy restarted, say) still dials the
 * sprite, and every process sharing a Caddy knows it. A route first published while its
 * sprite sleeps (its address then unknown), or to an address where another sprite sleeps (one
 * that took over a sleeping sprite's address), dials {@code <switch address>:<port>} instead, a
 * port of its own, which the map sends to the sprite or the activator.
 *
 * <p>Switching to the activator also cuts Caddy's connections to the route's address
 * ({@code ss -K}): its idle connections still lead to the sprite, which is about to sleep, and
 * a request sent on one would wait for a sprite nothing wakes.
 *
 * <p>Each element is named by a comment ({@code <caddy dir id>/<key>}, or {@code <caddy dir
 * id>@<sprite>:<port>} for a sleeping sprite's address), so processes sharing a Caddy agree, and
 * stores with Caddys of their own share the table without clashing. Processes change it one at a
 * time (a lock file under {@code /run}). The last route withdrawn takes the table and the
 * address with it.
 *
 * <p>Needs CAP_NET_ADMIN ({@code nft}, {@code ip}, {@code ss -K}): {@link #usable()} says whether
 * this process has it.
 */
final class KernelSwitch implements RouteSwitch {
    static final String TABLE = "puck";
    private static final String MAP = "routes";
    private static final String DIRECT = "direct";
    private static final int FIRST_PORT = 10000;
    private static final Path LOCK = Path.of("/run/puck-routes.lock");
    private static final ReentrantLock IN_PROCESS = new ReentrantLock(); // a FileLock excludes other processes, not threads
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static volatile Boolean usable;

    private final String owner;
    private final String address;

    /**
     * @param caddyDir Caddy's directory: names this Caddy's routes in the shared map
     * @param address  the address Caddy dials from, an IPv4 address that is not loopback
     */
    KernelSwitch(Path caddyDir, String address) {
        this.owner = owner(caddyDir);
        this.address = address;
        InetAddress a = ipv4(address, "caddy.switch-address");
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            // A connection from 127.0.0.1 rewritten to a sprite's bridge address is dropped as a martian unless route_localnet is on,
            // which would open every loopback-only service on this machine to its networks.
            throw new InvalidSpecException("caddy.switch-address", "'" + address + "' is a loopback or wildcard address; the kernel switch cannot send "
                    + "connections from there to a sprite.", "Set puck.caddy.switch-address to an unused IPv4 address outside 127.0.0.0/8, such as 198.19.0.1.");
        }
    }

    /** @return whether this process may change nftables and cut sockets, checked once per JVM */
    static boolean usable() {
        Boolean u = usable;
        if (u == null) {
            usable = u = probe();
        }
        return u;
    }

    private static boolean probe() {
        try {
            run(List.of("nft", "list", "tables"), null);
            // ss -K needs the kernel's INET_DIAG_DESTROY: cut a connection of our own and see that it is cut.
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                    Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    Socket accepted = server.accept()) {
                run(List.of("ss", "-K", "-t", "-n", "src", "127.0.0.1", "sport", "=", Integer.toString(client.getLocalPort()),
                        "dport", "=", Integer.toString(server.getLocalPort())), null);
                client.setSoTimeout(2000);
                try {
                    client.getInputStream().read();
                    return false;
                } catch (java.net.SocketTimeoutException notCut) {
                    return false;
                } catch (IOException cut) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String point(String key, Route route) {
        Endpoint target = route.target();
        String to = ipv4(target.host(), "target").getHostAddress();
        String name = name(key);
        String sleeper = owner + "@" + route.sprite() + ":" + route.port();
        return locked(() -> {
            State now = State.read();
            StringBuilder batch = new StringBuilder(table(now.isEmpty()));
            batch.append("add element ip " + TABLE + " sources { " + address + " }\n");
            addressOnLoopback("add", address); // Caddy dials from it, whichever way its routes go
            Optional<Element> viaSwitch = now.routes().stream().filter(e -> e.name().equals(name)).findFirst();
            Optional<Registration> direct = now.direct().stream().filter(r -> r.name().equals(name)).findFirst();
            if (viaSwitch.isPresent()) { // a route that dials the switch address keeps dialling it
                Element e = viaSwitch.get();
                remove(batch, e);
                return viaSwitch(batch, e.port(), name, to, target.port(), route.activator());
            }
            if (route.activator()) {
                if (direct.isEmpty()) { // its sprite's address is not known: the switch address, a port of its own
                    return viaSwitch(batch, free(now), name, to, target.port(), false);
                }
                Registration r = direct.get();
                now.at(r.address(), r.port()).ifPresent(e -> remove(batch, e));
                batch.append(add(r.address(), r.port(), sleeper, to, target.port()));
                run(List.of("nft", "-f", "-"), batch.toString());
                cut(List.of("src", address, "dst", r.address(), "dport", "=", Integer.toString(r.port())));
                return r.address() + ":" + r.port();
            }
            Optional<Element> sleeping = now.at(to, target.port());
            if (sleeping.isPresent() && !sleeping.get().name().equals(sleeper)) {
                // another sprite sleeps at this address (this one took it over): the sleeper's route must keep leading to the activator
                direct.ifPresent(r -> unregister(batch, r, now));
                return viaSwitch(batch, free(now), name, to, target.port(), false);
            }
            if (direct.isPresent() && !(direct.get().address().equals(to) && direct.get().port() == target.port())) {
                unregister(batch, direct.get(), now); // the sprite woke at another address: the route's config changes
                direct = Optional.empty();
            }
            if (direct.isEmpty()) {
                batch.append("add element ip " + TABLE + " " + DIRECT + " { " + to + " . " + target.port() + " . " + freeId(now)
                        + " comment \"" + name + "\" }\n");
            }
            sleeping.ifPresent(e -> remove(batch, e)); // awake: nothing in the way
            run(List.of("nft", "-f", "-"), batch.toString());
            return to + ":" + target.port();
        });
    }

    /** Finishes {@code batch} with a route through the switch address's {@code port} to {@code to}; @return what the route dials */
    private String viaSwitch(StringBuilder batch, int port, String name, String to, int toPort, boolean activator) {
        batch.append(add(address, port, name, to, toPort));
        run(List.of("nft", "-f", "-"), batch.toString());
        if (activator) {
            cut(List.of("src", address, "dst", address, "dport", "=", Integer.toString(port)));
        }
        return address + ":" + port;
    }

    /** Cuts this machine's TCP connections that match an {@code ss} filter. */
    private static void cut(List<String> filter) {
        List<String> argv = new ArrayList<>(List.of("ss", "-K", "-t", "-n"));
        argv.addAll(filter);
        run(argv, null);
    }

    private static String add(String address, int port, String name, String to, int toPort) {
        return "add element ip " + TABLE + " " + MAP + " { " + address + " . " + port + " comment \"" + name + "\" : " + to + " . " + toPort + " }\n";
    }

    private static void remove(StringBuilder batch, Element e) {
        batch.append("delete element ip " + TABLE + " " + MAP + " { " + e.address() + " . " + e.port() + " }\n");
    }

    private static void remove(StringBuilder batch, Registration r) {
        batch.append("delete element ip " + TABLE + " " + DIRECT + " { " + r.address() + " . " + r.port() + " . " + r.id() + " }\n");
    }

    /** Forgets a registration, and its sprite's sleeping element unless another route of this sprite's port is registered. */
    private static void unregister(StringBuilder batch, Registration r, State now) {
        remove(batch, r);
        boolean shared = now.direct().stream().anyMatch(o -> o != r && o.address().equals(r.address()) && o.port() == r.port());
        if (!shared) {
            now.at(r.address(), r.port()).ifPresent(e -> remove(batch, e));
        }
    }

    @Override
    public Optional<String> target(String key) {
        String name = name(key);
        return locked(() -> {
            State now = State.read();
            Optional<String> viaSwitch = now.routes().stream().filter(e -> e.name().equals(name)).findFirst().map(Element::target);
            return viaSwitch.or(() -> now.direct().stream().filter(r -> r.name().equals(name)).findFirst()
                    .map(r -> now.at(r.address(), r.port()).map(Element::target).orElse(r.address() + ":" + r.port())));
        });
    }

    @Override
    public Optional<String> source() {
        return Optional.of(address);
    }

    @Override
    public void remove(String key) {
        String name = name(key);
        removeWhere(name::equals);
    }

    @Override
    public String kind() {
        return "kernel (nftables table ip " + TABLE + ", Caddy dials from " + address + ")";
    }

    /** @param caddyDir a Caddy's directory: every route it had is forgotten (for tests, whose Caddy goes with them) */
    static void forget(Path caddyDir) {
        if (usable()) {
            String prefix = owner(caddyDir);
            removeWhere(name -> name.startsWith(prefix));
        }
    }

    /** Removes the routes whose names match, and a sleeping sprite's element once no registered route leads to it. */
    private static void removeWhere(Predicate<String> gone) {
        locked(() -> {
            State now = State.read();
            List<Element> routes = now.routes().stream().filter(e -> gone.test(e.name())).toList();
            List<Registration> direct = now.direct().stream().filter(r -> gone.test(r.name())).toList();
            List<Registration> staying = now.direct().stream().filter(r -> !direct.contains(r)).toList();
            List<Element> sleepers = now.routes().stream().filter(e -> e.name().contains("@") && !routes.contains(e)
                    && staying.stream().noneMatch(r -> r.address().equals(e.address()) && r.port() == e.port())).toList();
            if (routes.isEmpty() && direct.isEmpty() && sleepers.isEmpty()) {
                return null;
            }
            if (routes.size() + sleepers.size() == now.routes().size() && staying.isEmpty()) { // the last routes: the table and the addresses go too
                run(List.of("nft", "delete", "table", "ip", TABLE), null);
                now.sources().forEach(a -> addressOnLoopback("del", a));
                return null;
            }
            StringBuilder batch = new StringBuilder();
            routes.forEach(e -> remove(batch, e));
            sleepers.forEach(e -> remove(batch, e));
            direct.forEach(r -> remove(batch, r));
            run(List.of("nft", "-f", "-"), batch.toString());
            return null;
        });
    }

    /** @param empty whether the table has no routes (or is not there): its rule is then (re)written */
    private static String table(boolean empty) {
        return "add table ip " + TABLE + "\n"
                + "add map ip " + TABLE + " " + MAP + " { type ipv4_addr . inet_service : ipv4_addr . inet_service ; }\n"
                + "add set ip " + TABLE + " " + DIRECT + " { type ipv4_addr . inet_service . mark ; }\n"
                + "add set ip " + TABLE + " sources { type ipv4_addr ; }\n"
                + "add chain ip " + TABLE + " output { type nat hook output priority dstnat ; policy accept ; }\n"
                + (empty ? "flush chain ip " + TABLE + " output\n" // an empty table left by hand keeps one rule, not two
                        + "add rule ip " + TABLE + " output ip saddr @sources dnat ip to ip daddr . tcp dport map @" + MAP + "\n" : "");
    }

    /** A map element: connections from Caddy to {@code address:port} go to {@code target}. */
    private record Element(String address, int port, String name, String target) {}

    /** A route that dials its sprite's address, {@code address:port}; {@code id} tells routes to the same address apart. */
    private record Registration(String address, int port, long id, String name) {}

    /** The table's contents: the map's elements, the registered routes, the addresses Caddys dial from. */
    private record State(List<Element> routes, List<Registration> direct, List<String> sources) {
        boolean isEmpty() {
            return routes.isEmpty() && direct.isEmpty();
        }

        Optional<Element> at(String address, int port) {
            return routes.stream().filter(e -> e.address().equals(address) && e.port() == port).findFirst();
        }

        /** @return the table as it is now; empty if there is none */
        static State read() {
            String json;
            try {
                json = run(List.of("nft", "-j", "list", "table", "ip", TABLE), null);
            } catch (BackendException e) {
                if (e.getMessage().contains("No such file or directory")) {
                    return new State(List.of(), List.of(), List.of());
                }
                throw e;
            }
            List<Element> routes = new ArrayList<>();
            List<Registration> direct = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            try {
                for (JsonNode item : JSON.readTree(json).path("nftables")) {
                    for (JsonNode pair : item.path("map").path("elem")) {
                        JsonNode key = pair.get(0).path("elem");
                        JsonNode concat = key.path("val").path("concat");
                        JsonNode to = pair.get(1).path("concat");
                        routes.add(new Element(concat.get(0).asText(), concat.get(1).asInt(), key.path("comment").asText(""),
                                to.get(0).asText() + ":" + to.get(1).asInt()));
                    }
                    JsonNode set = item.path("set");
                    for (JsonNode elem : set.path("elem")) {
                        if (set.path("name").asText().equals(DIRECT)) {
                            JsonNode concat = elem.has("elem") ? elem.path("elem").path("val").path("concat") : elem.path("concat");
                            direct.add(new Registration(concat.get(0).asText(), concat.get(1).asInt(), concat.get(2).asLong(),
                                    elem.path("elem").path("comment").asText("")));
                        } else {
                            sources.add(elem.asText());
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new BackendException("caddy", null, 0, "cannot read nftables' table ip " + TABLE + ": " + e.getMessage(),
                        "Inspect it with `nft list table ip " + TABLE + "`; deleting the table (`nft delete table ip " + TABLE + "`) makes Puck re-create "
                                + "it on the next expose.", e);
            }
            return new State(routes, direct, sources);
        }
    }

    private int free(State now) {
        for (int port = FIRST_PORT; port <= 65535; port++) {
            if (now.at(address, port).isEmpty()) {
                return port;
            }
        }
        throw new BackendException("caddy", null, 0, "every port of the route switch's address " + address + " has a route.",
                "Withdraw exposures you no longer need (`puck expose <sprite> <port> --withdraw`).", null);
    }

    private static long freeId(State now) {
        long id = 1;
        while (true) {
            long i = id;
            if (now.direct().stream().noneMatch(r -> r.id() == i)) {
                return id;
            }
            id++;
        }
    }

    /** Adds or deletes an address on lo; one that is there already (add) or gone (del) is fine. */
    private static void addressOnLoopback(String op, String address) {
        try {
            run(List.of("ip", "addr", op, address + "/32", "dev", "lo"), null);
        } catch (BackendException e) {
            String m = e.getMessage();
            if (!m.contains("File exists") && !m.contains("already assigned") && !m.contains("Cannot assign requested address")) {
                throw e;
            }
        }
    }

    private String name(String key) {
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a route key: " + key);
        }
        return owner + key;
    }

    /** @return the prefix of a Caddy directory's routes: a digest of its path, short enough for an nftables comment */
    private static String owner(Path caddyDir) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(caddyDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6) + "/";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return {@code host} as an IPv4 address, if it is one written out: never looked up in DNS */
    private static Inet4Address ipv4(String host, String what) {
        if (IPV4.matcher(host).matches()) {
            try {
                return (Inet4Address) InetAddress.getByName(host); // a literal: parsed, not resolved
            } catch (UnknownHostException e) {
                // an octet above 255: answered below
            }
        }
        throw new InvalidSpecException("caddy.switch", "the kernel route switch needs an IPv4 " + what + " written out, and '" + host + "' is not one.",
                "Set puck.caddy.switch=file to switch routes through files, which takes any address.");
    }

    private static <T> T locked(Supplier<T> work) {
        IN_PROCESS.lock();
        try (FileChannel channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
            return work.get();
        } catch (IOException e) {
            throw new BackendException("caddy", null, 0, "cannot take the route switch's lock " + LOCK + ": " + e.getMessage(),
                    "Run Puck as root for the kernel route switch, or set puck.caddy.switch=file.", e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private static String run(List<String> argv, String input) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BackendException("caddy", null, 0, String.join(" ", argv) + " failed: " + out.strip(),
                        "The kernel route switch needs root (CAP_NET_ADMIN) and nftables; set puck.caddy.switch=file to do without.", null);
            }
            return out;
        } catch (IOException e) {
            throw new BackendException("caddy", null, 0, "cannot run " + argv.get(0) + ": " + e.getMessage(),
                    "Install nftables and iproute2, or set puck.caddy.switch=file.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("caddy", null, 0, "interrupted while running " + argv.get(0), "Retry.", e);
        }
    }
}
