package labs.sandwich.puck.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.HostPortInUseException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.spi.Endpoint;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw TCP into sprites, woken on connect: a sprite's port exposed on a host port, and
 * {@code <name>.internal} between sprites. Every listener is a plain socket in this process;
 * a connection to it wakes the sprite if it sleeps (single-flight, through the engine), connects
 * to the sprite's address and splices the bytes both ways on two virtual threads. Data arriving
 * for a sprite that fell asleep under an open connection wakes it again.
 *
 * <p>{@code <name>.internal}: each sprite gets an address of its own in {@code 198.18.0.0/16}
 * (RFC 2544's range, never routed on the internet; setting {@code internal.subnet}), added to
 * the host's loopback interface, so that sprites reach it through their gateway while the
 * sprite itself may be asleep; the store's hosts file (mounted as the sprites' {@code /etc/hosts})
 * names it. Only this machine and the store's own sprites may connect there.
 *
 * <p>Ownership follows the activator's rule: whichever process can listen serves. The process
 * that watches the store ({@code puckd}) re-syncs every tick and takes a port over once the
 * process holding it exits; a process that exposes a port serves it until it closes.
 */
public final class TcpForwarding implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpForwarding.class);
    /** How long a woken sprite's server may take to accept: CRIU restores listening sockets, a fresh start needs longer. */
    private static final Duration CONNECT_PATIENCE = Duration.ofSeconds(5);
    /** Under an open connection, the sprite's state is read again at most this often. */
    private static final long RECHECK_NANOS = Duration.ofMillis(250).toNanos();
    /** A refused port is journaled at most this often per sprite and port. */
    private static final long NOTE_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    private final Engine engine;
    private final @Nullable Path hostsFile;
    private final int[] subnet; // a.b of a.b.0.0/16
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    private final Map<String, Long> noted = new ConcurrentHashMap<>();
    private final Set<String> spriteAddresses = ConcurrentHashMap.newKeySet();
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private volatile boolean internalBroken;
    private volatile boolean closed;
    private volatile @Nullable Thread syncer;

    /**
     * @param engine    the engine, which wakes sprites
     * @param hostsFile the store's hosts file for {@code <name>.internal}, or null for none
     * @param config    settings ({@code internal.subnet}, a {@code /16})
     */
    public TcpForwarding(Engine engine, @Nullable Path hostsFile, Config config) {
        this.engine = engine;
        this.hostsFile = hostsFile;
        String net = config.get("internal.subnet").orElse("198.18.0.0/16");
        String[] p = net.split("[./]");
        if (p.length != 5 || !p[4].equals("16") || !p[2].equals("0") || !p[3].equals("0")) {
            throw new labs.sandwich.puck.api.InvalidSpecException("internal.subnet", "internal.subnet must be an IPv4 /16 such as 198.18.0.0/16, was " + net + ".",
                    "Set PUCK_INTERNAL_SUBNET to a /16 no network of this machine uses.");
        }
        this.subnet = new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    // ---- host ports ----

    /**
     * Listens on a host port for a sprite's port and records it, replacing nothing.
     *
     * @return the URL, {@code tcp://address:port}
     * @throws HostPortInUseException if something else listens there
     */
    public URI expose(String sprite, int port, int hostPort, ExposureMode mode) {
        String bind = switch (mode) {
            case LOCAL -> "127.0.0.1";
            case PUBLIC -> "0.0.0.0";
            case TAILNET -> throw new UnsupportedCapabilityException(labs.sandwich.puck.api.Capability.EXPOSE, "tcp",
                    "raw TCP to the tailnet needs a Tailscale ingress; expose it LOCAL, or PUBLIC to every address of this machine");
        };
        engine.record(sprite); // SpriteNotFoundException before anything listens
        for (StateStore.TcpExposed e : engine.store().tcpExposures(null)) {
            if (hostPort == 0 && e.sprite().equals(sprite) && e.port() == port && e.bind().equals(bind)) {
                return url(bind, e.hostPort()); // any port will do: the one it has
            }
            if (e.hostPort() == hostPort && hostPort != 0 && overlaps(e.bind(), bind)) {
                if (e.sprite().equals(sprite) && e.port() == port && e.bind().equals(bind)) {
                    return url(bind, hostPort); // exposed already; served here or by the process watching the store
                }
                throw new HostPortInUseException(sprite, bind, hostPort, "Puck exposes port " + e.port() + " of sprite " + e.sprite() + " there");
            }
        }
        Listener l;
        try {
            l = new Listener(bind, hostPort, sprite, port, null);
        } catch (BindException e) {
            throw new HostPortInUseException(sprite, bind, hostPort, "another program");
        } catch (IOException e) {
            throw new HostPortInUseException(sprite, bind, hostPort, e.getMessage());
        }
        listeners.put(l.key(), l);
        engine.store().exposeTcp(new StateStore.TcpExposed(sprite, port, bind, l.port(), mode));
        LOG.info("Exposed port {} of {} as raw TCP on {}:{} ({})", port, sprite, bind, l.port(), mode.audience());
        return url(bind, l.port());
    }

    /** Withdraws every host port of a sprite's port. */
    public void unexpose(String sprite, int port) {
        for (StateStore.TcpExposed e : engine.store().tcpExposures(sprite)) {
            if (e.port() == port) {
                engine.store().unexposeTcp(e.bind(), e.hostPort());
                Listener l = listeners.remove(e.bind() + ":" + e.hostPort());
                if (l != null) {
                    l.close();
                }
            }
        }
    }

    private static boolean overlaps(String a, String b) {
        return a.equals(b) || a.equals("0.0.0.0") || b.equals("0.0.0.0");
    }

    static URI url(String bind, int port) {
        return URI.create("tcp://" + bind + ":" + port);
    }

    // ---- serving ----

    /**
     * Serves in the background: {@link #sync()} now and every {@code every}. For the process
     * that watches the store.
     */
    public synchronized void serve(Duration every) {
        if (syncer != null) {
            return;
        }
        syncer = Thread.ofPlatform().daemon().name("puck-tcp-sync").start(() -> {
            while (!closed) {
                try {
                    sync();
                } catch (RuntimeException e) {
                    LOG.warn("Could not bring raw TCP listeners in line with the store: {}", e.getMessage());
                }
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * Makes this process's listeners match the store: listens on every recorded exposure and
     * {@code <name>.internal} port it can (a port held by another process is tried again next
     * time), closes what was withdrawn, and keeps the internal addresses and hosts file current.
     */
    public synchronized void sync() {
        if (closed) {
            return;
        }
        Map<String, String[]> wanted = new HashMap<>(); // key -> sprite, port, internal?
        for (StateStore.TcpExposed e : engine.store().tcpExposures(null)) {
            wanted.put(e.bind() + ":" + e.hostPort(), new String[] {e.sprite(), Integer.toString(e.port()), "", e.bind(), Integer.toString(e.hostPort())});
        }
        Map<String, String> internal = syncInternal();
        for (Map.Entry<String, String> a : internal.entrySet()) {
            for (int port : ports(a.getKey())) {
                wanted.put(a.getValue() + ":" + port, new String[] {a.getKey(), Integer.toString(port), "internal", a.getValue(), Integer.toString(port)});
            }
        }
        for (Map.Entry<String, Listener> l : listeners.entrySet()) {
            String[] w = wanted.get(l.getKey());
            if (w == null || !w[0].equals(l.getValue().sprite) || Integer.parseInt(w[1]) != l.getValue().port) {
                listeners.remove(l.getKey()).close();
            }
        }
        for (Map.Entry<String, String[]> w : wanted.entrySet()) {
            if (!listeners.containsKey(w.getKey())) {
                String[] v = w.getValue();
                try {
                    Listener l = new Listener(v[3], Integer.parseInt(v[4]), v[0], Integer.parseInt(v[1]), v[2].isEmpty() ? null : v[2]);
                    listeners.put(w.getKey(), l);
                    LOG.info("Listening on {} for port {} of {}", w.getKey(), v[1], v[0]);
                } catch (IOException e) {
                    LOG.debug("{} is held elsewhere ({}); trying again later", w.getKey(), e.getMessage()); // another process serves it, or will
                }
            }
        }
    }

    /** The ports {@code <name>.internal} answers on: the spec's, and every exposed one. */
    private Set<Integer> ports(String sprite) {
        Set<Integer> out = new TreeSet<>();
        engine.store().sprite(sprite).ifPresent(r -> out.addAll(r.spec().ports()));
        engine.store().exposures(sprite).forEach(e -> out.add(e.port()));
        engine.store().tcpExposures(sprite).forEach(e -> out.add(e.port()));
        return out;
    }

    // ---- <name>.internal ----

    /**
     * Gives every sprite an address on the host's loopback interface, gives up those of deleted
     * sprites, and rewrites the hosts file when it changed.
     *
     * @return live sprites' addresses
     */
    private Map<String, String> syncInternal() {
        if (hostsFile == null || internalBroken) {
            return Map.of();
        }
        StateStore store = engine.store();
        Map<String, String> recorded = store.internalAddresses();
        Set<String> live = new HashSet<>();
        store.sprites().forEach(r -> live.add(r.name()));
        Set<String> onHost;
        try {
            onHost = loopbackAddresses();
            for (Map.Entry<String, String> e : recorded.entrySet()) {
                if (!live.contains(e.getKey())) {
                    ip("del", e.getValue());
                    store.internalAddress(e.getKey(), null);
                } else if (!onHost.contains(e.getValue())) {
                    ip("add", e.getValue()); // after a reboot
                }
            }
            for (String sprite : live) {
                if (!recorded.containsKey(sprite)) {
                    String a = allocate(new HashSet<>(recorded.values()), onHost);
                    if (!store.claimInternalAddress(sprite, a)) {
                        ip("del", a); // another process serving the store gave it one meanwhile
                    }
                }
            }
        } catch (IOException e) {
            internalBroken = true;
            LOG.warn("<name>.internal is off: this process cannot manage addresses on the loopback interface ({}). Run puckd as root.", e.getMessage());
            return Map.of();
        }
        Map<String, String> addresses = new HashMap<>(store.internalAddresses());
        addresses.keySet().retainAll(live);
        writeHosts(addresses);
        return addresses;
    }

    /**
     * Gives a deleted sprite's address up, if this process may; otherwise the process that
     * watches the store does at its next sync.
     */
    public void release(String sprite) {
        if (hostsFile == null || internalBroken) {
            return;
        }
        String address = engine.store().internalAddresses().get(sprite);
        if (address != null && engine.store().sprite(sprite).isEmpty()) {
            try {
                ip("del", address);
                engine.store().internalAddress(sprite, null);
                Map<String, String> left = new HashMap<>(engine.store().internalAddresses());
                left.keySet().retainAll(engine.store().sprites().stream().map(SpriteRecord::name).toList());
                writeHosts(left);
            } catch (IOException e) {
                LOG.debug("Could not give {} up ({}); the serving process will", address, e.getMessage());
            }
        }
    }

    /** Takes the lowest address no store on this machine holds; adding it to the interface is the machine-wide claim. */
    private String allocate(Set<String> taken, Set<String> onHost) throws IOException {
        for (int i = 1; i < 65535; i++) {
            String a = subnet[0] + "." + subnet[1] + "." + (i >> 8) + "." + (i & 0xff);
            if ((i & 0xff) == 0 || (i & 0xff) == 255 || taken.contains(a) || onHost.contains(a)) {
                continue;
            }
            if (ip("add", a)) {
                return a;
            }
        }
        throw new IOException("no free address left in " + subnet[0] + "." + subnet[1] + ".0.0/16");
    }

    private Set<String> loopbackAddresses() throws IOException {
        Set<String> out = new HashSet<>();
        for (String line : run(List.of("ip", "-4", "-o", "addr", "show", "dev", "lo")).split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    out.add(f[i + 1].replaceAll("/\\d+$", ""));
                }
            }
        }
        return out;
    }

    /** @return false if the address was there already (add) or gone (del) */
    private static boolean ip(String op, String address) throws IOException {
        try {
            run(List.of("ip", "addr", op, address + "/32", "dev", "lo"));
            return true;
        } catch (IOException e) {
            if (e.getMessage().contains("File exists") || e.getMessage().contains("Cannot assign requested address")) {
                return false;
            }
            throw e;
        }
    }

    private static String run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", argv) + ": " + out.strip());
            }
            return out;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Rewritten in place (the same inode), so that sprites' bind mounts see the change. */
    private void writeHosts(Map<String, String> addresses) {
        StringBuilder b = new StringBuilder("# Puck: <name>.internal for every sprite of this store; rewritten as sprites come and go.\n"
                + "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        new java.util.TreeMap<>(addresses).forEach((sprite, a) -> b.append(a).append('\t').append(sprite).append(".internal ").append(sprite).append('\n'));
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        try {
            if (!java.util.Arrays.equals(Files.exists(hostsFile) ? Files.readAllBytes(hostsFile) : null, bytes)) {
                Files.write(hostsFile, bytes);
            }
        } catch (IOException e) {
            LOG.warn("Could not write {}: {}", hostsFile, e.getMessage());
        }
    }

    /** Sprites' own addresses and this machine may use {@code <name>.internal}; the first unknown peer refreshes them. */
    private boolean allowed(InetAddress peer) {
        if (peer.isLoopbackAddress() || spriteAddresses.contains(peer.getHostAddress())) {
            return true;
        }
        for (SpriteRecord r : engine.store().sprites()) {
            if (r.state() == SpriteState.RUNNING || r.state() == SpriteState.PAUSED) {
                try {
                    spriteAddresses.add(engine.runtime().endpoint(r.name(), 1).host());
                } catch (PuckException e) {
                    // not reachable now
                }
            }
        }
        return spriteAddresses.contains(peer.getHostAddress());
    }

    // ---- connections ----

    /** One listening socket for one sprite port. */
    private final class Listener {
        final String bind;
        final String sprite;
        final int port;
        final @Nullable String internal;
        final ServerSocket server;

        Listener(String bind, int hostPort, String sprite, int port, @Nullable String internal) throws IOException {
            this.bind = bind;
            this.sprite = sprite;
            this.port = port;
            this.internal = internal;
            this.server = new ServerSocket();
            server.setReuseAddress(true);
            try {
                server.bind(new InetSocketAddress(InetAddress.getByName(bind), hostPort), 512);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            Thread.ofPlatform().daemon().name("puck-tcp-" + sprite + "-" + port).start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        String key() {
            return bind + ":" + port();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Thread.ofVirtual().name("puck-tcp-conn").start(() -> serve(client, this));
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        LOG.warn("Accepting on {} failed: {}", key(), e.toString());
                    }
                }
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private void serve(Socket client, Listener l) {
        String via = l.internal != null ? l.sprite + ".internal:" + l.port : l.key();
        try (client) {
            client.setTcpNoDelay(true);
            if (l.internal != null && !allowed(client.getInetAddress())) {
                LOG.warn("Refused a connection to {} from {}: only this machine and the store's sprites may use it", via, client.getInetAddress().getHostAddress());
                return;
            }
            Socket upstream;
            boolean asleep;
            try {
                asleep = engine.record(l.sprite).state() != SpriteState.RUNNING;
            } catch (SpriteNotFoundException e) {
                LOG.warn("Closed a connection to {}: sprite {} does not exist any more", via, l.sprite);
                return;
            }
            try {
                if (asleep) {
                    engine.wake(l.sprite, engine.defaultTimeout(), "tcp: a connection to " + via + " from " + client.getInetAddress().getHostAddress());
                }
                upstream = connect(l, asleep);
            } catch (PuckException e) { // the engine journaled the failed wake and published a Failed event
                LOG.warn("Closed a connection to {}: sprite {} could not wake: {}", via, l.sprite, e.getMessage());
                return;
            } catch (IOException e) {
                refused(l, via, e);
                return;
            }
            try (upstream) {
                upstream.setTcpNoDelay(true);
                Thread back = Thread.ofVirtual().name("puck-tcp-back").start(() -> pipe(upstream, client, null));
                pipe(client, upstream, l.sprite);
                back.join();
            }
        } catch (IOException e) {
            LOG.debug("Connection to {} ended: {}", via, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Connects to the sprite. An awake sprite's address is cached (asking the runtime costs a
     * round trip, ~3 ms with Podman, more than the rest of the path), and asked again once if
     * the cached one fails; after a wake it is always asked, and the connection retried while the
     * server comes up. An awake sprite that refuses gets no retry.
     */
    private Socket connect(Listener l, boolean woken) throws IOException {
        String key = l.sprite + ":" + l.port;
        Endpoint cached = woken ? null : endpoints.get(key);
        if (cached != null) {
            try {
                return Activator.connect(cached, Duration.ZERO);
            } catch (IOException stale) {
                endpoints.remove(key);
            }
        }
        Endpoint target = engine.runtime().endpoint(l.sprite, l.port);
        Socket s = Activator.connect(target, woken ? CONNECT_PATIENCE : Duration.ZERO);
        endpoints.put(key, target);
        return s;
    }

    private void refused(Listener l, String via, IOException e) {
        String reason = "nothing in sprite " + l.sprite + " accepts on port " + l.port + " (" + e.getMessage() + "); closed the connection to " + via;
        LOG.warn("{}. Start a server on port {} in it, or withdraw the exposure.", reason, l.port);
        long now = System.nanoTime();
        Long last = noted.get(l.sprite + ":" + l.port);
        if (last == null || now - last > NOTE_EVERY_NANOS) {
            noted.put(l.sprite + ":" + l.port, now);
            try {
                StateStore store = engine.store();
                SpriteState s = engine.record(l.sprite).state();
                store.end(store.begin(l.sprite, "tcp connection", s, s, via), s, reason);
            } catch (PuckException ignored) {
                // the log has it
            }
        }
    }

    /**
     * Copies until the end of the stream, then half-closes the other side. Toward a sprite
     * ({@code sprite} not null): data that comes while it sleeps under the open connection wakes
     * it first, or it would wait in TCP retransmissions forever.
     */
    private void pipe(Socket from, Socket to, @Nullable String sprite) {
        byte[] buf = new byte[64 * 1024];
        long checked = System.nanoTime();
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (sprite != null && System.nanoTime() - checked > RECHECK_NANOS) {
                    if (engine.record(sprite).state() != SpriteState.RUNNING) {
                        engine.wake(sprite, engine.defaultTimeout(), "tcp: data on an open connection");
                    }
                    checked = System.nanoTime();
                }
                out.write(buf, 0, n);
            }
        } catch (IOException | PuckException e) {
            // one side closed, or the sprite could not wake (journaled)
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    /** @return the addresses listened on, for tests and diagnostics */
    public List<String> listening() {
        return new ArrayList<>(new TreeSet<>(listeners.keySet()));
    }

    /**
     * Stops listening; recorded exposures stay, for the next process to serve. Gives up the
     * internal addresses of sprites deleted meanwhile.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (hostsFile != null && !internalBroken && syncer != null) {
                syncInternal();
            }
        } catch (RuntimeException e) {
            LOG.debug("Last sync on close failed: {}", e.getMessage());
        }
        closed = true;
        Thread t = syncer;
        if (t != null) {
            t.interrupt();
        }
        listeners.values().forEach(Listener::close);
        listeners.clear();
    }
}
