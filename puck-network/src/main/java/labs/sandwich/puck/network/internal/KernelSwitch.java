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

/**
 * Routes switched in the kernel. A route dials a fixed address of this machine
 * ({@code <switch address>:<port>}, the address on {@code lo}, a port of its own per route), and
 * an nftables map in the table {@code ip puck} rewrites each new connection Caddy makes there to
 * the route's target (DNAT in the output hook). A switch is one atomic update of one map element;
 * a request pays nothing for it, because the kernel rewrites a connection once, at its first
 * packet, and Caddy keeps its connections to a sprite open between requests.
 *
 * <p>Switching to the activator also cuts this machine's connections to the route's address
 * ({@code ss -K}): Caddy's idle connections still lead to the sprite, which is about to sleep,
 * and a request sent on one would wait for a sprite nothing wakes.
 *
 * <p>Each element is named by a comment ({@code <caddy dir id>/<key>}), so every process sharing
 * a Caddy finds the same port for a route, and stores with Caddys of their own share the table
 * without clashing. Processes change the map one at a time (a lock file under {@code /run}).
 * The last route withdrawn takes the table and the address with it.
 *
 * <p>Needs CAP_NET_ADMIN ({@code nft}, {@code ip}, {@code ss -K}): {@link #usable()} says whether
 * this process has it.
 */
final class KernelSwitch implements RouteSwitch {
    static final String TABLE = "puck";
    private static final String MAP = "routes";
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
     * @param address  the address routes dial, an IPv4 address that is not loopback
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
    public String point(String key, Endpoint target, boolean activator) {
        String to = ipv4(target.host(), "target").getHostAddress() + " . " + target.port();
        String name = name(key);
        return locked(() -> {
            List<Element> all = elements();
            Optional<Element> mine = all.stream().filter(e -> e.name().equals(name)).findFirst();
            int port = mine.filter(e -> e.address().equals(address)).map(Element::port).orElseGet(() -> free(all));
            StringBuilder batch = new StringBuilder();
            if (all.isEmpty()) {
                batch.append(table());
            }
            mine.ifPresent(e -> batch.append("delete element ip " + TABLE + " " + MAP + " { " + e.address() + " . " + e.port() + " }\n"));
            batch.append("add element ip " + TABLE + " " + MAP + " { " + address + " . " + port + " comment \"" + name + "\" : " + to + " }\n");
            addressOnLoopback("add", address);
            run(List.of("nft", "-f", "-"), batch.toString());
            if (activator) {
                run(List.of("ss", "-K", "-t", "-n", "dst", address, "dport", "=", Integer.toString(port)), null);
            }
            return address + ":" + port;
        });
    }

    @Override
    public Optional<String> target(String key) {
        String name = name(key);
        return locked(() -> elements().stream().filter(e -> e.name().equals(name)).findFirst().map(Element::target));
    }

    @Override
    public void remove(String key) {
        String name = name(key);
        removeWhere(e -> e.name().equals(name));
    }

    @Override
    public String kind() {
        return "kernel (nftables table ip " + TABLE + ", routes dial " + address + ")";
    }

    /** @param caddyDir a Caddy's directory: every route it had is forgotten (for tests, whose Caddy goes with them) */
    static void forget(Path caddyDir) {
        if (usable()) {
            String prefix = owner(caddyDir);
            removeWhere(e -> e.name().startsWith(prefix));
        }
    }

    private static void removeWhere(Predicate<Element> gone) {
        locked(() -> {
            List<Element> all = elements();
            List<Element> remove = all.stream().filter(gone).toList();
            if (remove.isEmpty()) {
                return null;
            }
            if (remove.size() == all.size()) { // the last routes: the table and their addresses go too
                run(List.of("nft", "delete", "table", "ip", TABLE), null);
                remove.stream().map(Element::address).distinct().forEach(a -> addressOnLoopback("del", a));
                return null;
            }
            StringBuilder batch = new StringBuilder();
            remove.forEach(e -> batch.append("delete element ip " + TABLE + " " + MAP + " { " + e.address() + " . " + e.port() + " }\n"));
            run(List.of("nft", "-f", "-"), batch.toString());
            return null;
        });
    }

    private static String table() {
        return "add table ip " + TABLE + "\n"
                + "add map ip " + TABLE + " " + MAP + " { type ipv4_addr . inet_service : ipv4_addr . inet_service ; }\n"
                + "add chain ip " + TABLE + " output { type nat hook output priority dstnat ; policy accept ; }\n"
                + "flush chain ip " + TABLE + " output\n" // an empty table left by hand keeps one rule, not two
                + "add rule ip " + TABLE + " output dnat ip to ip daddr . tcp dport map @" + MAP + "\n";
    }

    /** One route: the port it dials on the switch address, and where that leads. */
    private record Element(String address, int port, String name, String target) {}

    /** @return every route in the map, empty if there is no table */
    private static List<Element> elements() {
        String json;
        try {
            json = run(List.of("nft", "-j", "list", "map", "ip", TABLE, MAP), null);
        } catch (BackendException e) {
            if (e.getMessage().contains("No such file or directory")) {
                return List.of();
            }
            throw e;
        }
        List<Element> out = new ArrayList<>();
        try {
            for (JsonNode item : JSON.readTree(json).path("nftables")) {
                for (JsonNode pair : item.path("map").path("elem")) {
                    JsonNode key = pair.get(0).path("elem");
                    JsonNode concat = key.path("val").path("concat");
                    JsonNode to = pair.get(1).path("concat");
                    out.add(new Element(concat.get(0).asText(), concat.get(1).asInt(), key.path("comment").asText(""),
                            to.get(0).asText() + ":" + to.get(1).asInt()));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new BackendException("caddy", null, 0, "cannot read nftables' map ip " + TABLE + " " + MAP + ": " + e.getMessage(),
                    "Inspect it with `nft list table ip " + TABLE + "`; deleting the table (`nft delete table ip " + TABLE + "`) makes Puck re-create it "
                            + "on the next expose.", e);
        }
        return out;
    }

    private int free(List<Element> all) {
        for (int port = FIRST_PORT; port <= 65535; port++) {
            int p = port;
            if (all.stream().noneMatch(e -> e.address().equals(address) && e.port() == p)) {
                return port;
            }
        }
        throw new BackendException("caddy", null, 0, "every port of the route switch's address " + address + " has a route.",
                "Withdraw exposures you no longer need (`puck expose <sprite> <port> --withdraw`).", null);
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
