package labs.sandwich.puck.podman;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.model.HostInfo;
import labs.sandwich.puck.podman.internal.libpod.model.Info;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;

/**
 * The {@code podman} runtime: sprites as rootful Podman containers that hibernate with CRIU.
 *
 * <p>It talks to Podman's REST service on a unix socket: the {@code podman.socket} setting
 * ({@code -Dpuck.podman.socket}, {@code PUCK_PODMAN_SOCKET}), else
 * {@code /run/podman/podman.sock}, else {@code $XDG_RUNTIME_DIR/podman/podman.sock}. The
 * probe says exactly what is missing (no socket, no answer, Podman older than 5) and how to
 * fix it; a Podman that cannot checkpoint (rootless, no CRIU) is usable without the
 * hibernate capability, and says why.
 */
public final class PodmanRuntimeProvider implements SpriteRuntimeProvider {
    /** The priority: the default runtime on a developer's machine. */
    public static final int PRIORITY = 100;
    private static final String SETUP = "Run `sudo scripts/host-setup.sh` from Puck's repository: it installs Podman 5 with CRIU and starts `podman system service` on /run/podman/podman.sock. Or set PUCK_PODMAN_SOCKET to your socket.";

    /** Used by {@link java.util.ServiceLoader}; does no work. */
    public PodmanRuntimeProvider() {}

    @Override
    public String name() {
        return PodmanRuntime.NAME;
    }

    /** What a probe of a socket read. */
    private record Probed(Info info, CriuReport criu) {}

    /**
     * Podman's /info takes about 0.6 s (it asks its runtimes and storage), far more than the rest
     * of a {@code puck} command. What it says (version, rootless, remote) and what CRIU says change
     * only with the service or CRIU, so they are kept in the data directory under the identity of
     * the service's socket (recreated by every service start) and of the CRIU binary; a ping
     * (10 ms) checks the service answers. Anything unreadable in the cache means asking again.
     */
    private static Probed probed(PodmanClient client, Path socket, RuntimeContext context) throws ApiException {
        Path cache = context.dataDirectory().resolve("podman").resolve("probe-cache.json");
        String key = identity(socket) + "|" + CriuReport.identity();
        client.ping(); // the socket file can outlive its service
        var json = client.json();
        try {
            if (Files.isRegularFile(cache)) {
                var node = json.readTree(cache.toFile());
                if (key.equals(node.path("key").asText())) {
                    return new Probed(json.treeToValue(node.path("info"), Info.class), CriuReport.fromJson(node.path("criu")));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // a damaged or older cache: ask again
        }
        Probed fresh = new Probed(client.system().systemInfo(), CriuReport.read());
        try {
            Files.createDirectories(cache.getParent());
            var node = json.createObjectNode().put("key", key);
            node.set("info", json.valueToTree(fresh.info()));
            node.set("criu", fresh.criu().toJson(json));
            Path tmp = cache.resolveSibling(cache.getFileName() + ".part");
            Files.write(tmp, json.writeValueAsBytes(node));
            Files.move(tmp, cache, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException | RuntimeException e) {
            // no cache then; the next command asks again
        }
        return fresh;
    }

    private static String identity(Path file) {
        try {
            var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            return file + "@" + attrs.fileKey() + "@" + attrs.lastModifiedTime().toMillis();
        } catch (java.io.IOException e) {
            return file + "@?" + System.nanoTime(); // unknown: never matches a cached key
        }
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Probe probe(RuntimeContext context) {
        List<Path> candidates = sockets(context);
        Optional<Path> socket = candidates.stream().filter(Files::exists).findFirst();
        if (socket.isEmpty()) {
            return Probe.unavailable("no Podman socket at " + candidates + ".", SETUP);
        }
        try (PodmanClient client = new PodmanClient(socket.get())) {
            Probed probed = probed(client, socket.get(), context);
            Info info = probed.info();
            CriuReport criu = probed.criu();
            String version = info.getVersion() == null ? null : info.getVersion().getVersion();
            if (version == null || Integer.parseInt(version.split("\\.")[0]) < 5) {
                return Probe.unavailable("Podman at " + socket.get() + " is version " + version + "; Puck needs 5 or newer.", SETUP);
            }
            String checkpoint = checkpointProblem(info, criu).map(p -> "; cannot hibernate: " + p)
                    .orElse("; CRIU checkpoints (criu " + criu.version() + ")" + caveats(criu, capBnd()));
            return Probe.available("podman " + version + " at " + socket.get() + checkpoint);
        } catch (ApiException | labs.sandwich.puck.podman.internal.LibpodException e) {
            return Probe.unavailable("the Podman socket " + socket.get() + " does not answer (" + e.getMessage() + ").", SETUP);
        } catch (RuntimeException e) {
            return Probe.unavailable("talking to Podman at " + socket.get() + " failed: " + e + ".", SETUP);
        }
    }

    @Override
    public SpriteRuntime create(RuntimeContext context) {
        Path socket = sockets(context).stream().filter(Files::exists).findFirst()
                .orElseThrow(() -> new IllegalStateException("probe first: no Podman socket"));
        PodmanClient client = new PodmanClient(socket);
        try {
            Probed probed = probed(client, socket, context);
            return new PodmanRuntime(client, context.clock(), context.dataDirectory().resolve("podman").resolve("snapshots"),
                    checkpointProblem(probed.info(), probed.criu()), context.hostsFile());
        } catch (ApiException e) {
            client.close();
            throw new labs.sandwich.puck.api.BackendException(PodmanRuntime.NAME, null, e.getCode(), "cannot read Podman's info: " + e.getMessage(), SETUP, e);
        }
    }

    /**
     * Why this Podman cannot checkpoint, or empty when it can: Podman rootless (CRIU needs root),
     * a service on another machine (Podman machine: its CRIU is not this host's), no CRIU, a
     * CRIU whose {@code criu check} fails, or a CRIU older than 4.2 on Linux 6.16 or newer (it
     * passes {@code criu check} but cannot dump a TCP socket there, and every sprite has one).
     *
     * @param info Podman's {@code /info}
     * @param criu what this host's CRIU says
     */
    static Optional<String> checkpointProblem(Info info, CriuReport criu) {
        HostInfo host = info.getHost();
        if (host != null && host.getSecurity() != null && Boolean.TRUE.equals(host.getSecurity().getRootless())) {
            return Optional.of("Podman runs rootless, and CRIU needs root (CAP_SYS_ADMIN) to checkpoint; use the rootful service (sudo scripts/host-setup.sh)");
        }
        if (host != null && Boolean.TRUE.equals(host.getServiceIsRemote())) {
            return Optional.of("the Podman service runs on another machine (a Podman machine or a remote connection), whose CRIU Puck cannot check; "
                    + "run Puck where the rootful service runs");
        }
        if (criu.path().isEmpty()) {
            return Optional.of("CRIU is not installed (sudo scripts/host-setup.sh installs one that passes `criu check`)");
        }
        if (criu.checked() && criu.checkExit() != 0) {
            return Optional.of("CRIU " + criu.version() + " cannot checkpoint on this host: `criu check` says \"" + criu.complaint()
                    + "\" (sudo scripts/host-setup.sh installs a CRIU that matches the kernel)");
        }
        String kernel = host == null || host.getKernel() == null ? "" : host.getKernel();
        if (!criu.version().isEmpty() && compare(kernel, "6.16") >= 0 && compare(criu.version(), "4.2") < 0) {
            return Optional.of("CRIU " + criu.version() + " cannot dump TCP sockets on Linux " + kernel
                    + " (it needs CRIU 4.2 or newer there; sudo scripts/host-setup.sh installs one)");
        }
        return Optional.empty();
    }

    /**
     * Limits of this host that do not remove a capability but that users meet: without soft-dirty
     * tracking there are no incremental checkpoints (Puck dumps in full, which works); without
     * CAP_SYS_RESOURCE in the bounding set (as on some VMs), CRIU cannot dump a process that runs
     * as a user other than root; and where {@code criu check} could not run (not root) nothing
     * beyond CRIU's presence was verified.
     *
     * @param criu   what this host's CRIU says
     * @param capBnd the bounding set ({@code CapBnd} of /proc/self/status), or -1 if unknown
     */
    static String caveats(CriuReport criu, long capBnd) {
        List<String> out = new ArrayList<>();
        if (!criu.checked()) {
            out.add("not verified with `criu check`, which needs root");
        } else if (!criu.dirtyTracking()) {
            out.add("no incremental checkpoints: the kernel has no soft-dirty memory tracking, so each hibernation dumps all memory");
        }
        if (capBnd != -1 && (capBnd & (1L << 24)) == 0) {
            out.add("only processes running as root: this host lacks CAP_SYS_RESOURCE, which CRIU needs to dump other users' processes");
        }
        return out.isEmpty() ? "" : " (but " + String.join("; ", out) + ")";
    }

    static long capBnd() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    return Long.parseUnsignedLong(line.substring(7).strip(), 16);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Compares dotted version numbers by their numeric parts ({@code 6.18.44-fc} > {@code 6.16}). */
    static int compare(String a, String b) {
        String[] x = a.split("[^0-9]+");
        String[] y = b.split("[^0-9]+");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length && !x[i].isEmpty() ? Integer.parseInt(x[i]) : 0;
            int q = i < y.length && !y[i].isEmpty() ? Integer.parseInt(y[i]) : 0;
            if (p != q) {
                return Integer.compare(p, q);
            }
        }
        return 0;
    }

    static List<Path> sockets(RuntimeContext context) {
        List<Path> out = new ArrayList<>();
        context.config("podman.socket").ifPresent(s -> out.add(Path.of(s)));
        if (out.isEmpty()) {
            out.add(Path.of("/run/podman/podman.sock"));
            String xdg = System.getenv("XDG_RUNTIME_DIR");
            if (xdg != null && !xdg.isBlank()) {
                out.add(Path.of(xdg, "podman", "podman.sock"));
            }
        }
        return out;
    }
}
