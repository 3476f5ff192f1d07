package labs.sandwich.puck.podman;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.PodmanRuntime;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
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
            String version = client.system().systemVersion().getVersion();
            if (version == null || Integer.parseInt(version.split("\\.")[0]) < 5) {
                return Probe.unavailable("Podman at " + socket.get() + " is version " + version + "; Puck needs 5 or newer.", SETUP);
            }
            String checkpoint = checkpointProblem(client.system().systemInfo()).map(p -> "; cannot hibernate: " + p)
                    .orElse("; CRIU checkpoints" + caveats());
            return Probe.available("podman " + version + " at " + socket.get() + checkpoint);
        } catch (ApiException e) {
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
            return new PodmanRuntime(client, context.clock(), context.dataDirectory().resolve("podman").resolve("snapshots"),
                    checkpointProblem(client.system().systemInfo()));
        } catch (ApiException e) {
            client.close();
            throw new labs.sandwich.puck.api.BackendException(PodmanRuntime.NAME, null, e.getCode(), "cannot read Podman's info: " + e.getMessage(), SETUP, e);
        }
    }

    /** Why this Podman cannot checkpoint, or empty when it can. */
    static Optional<String> checkpointProblem(Info info) {
        if (info.getHost() != null && info.getHost().getSecurity() != null && Boolean.TRUE.equals(info.getHost().getSecurity().getRootless())) {
            return Optional.of("Podman runs rootless, and CRIU needs root; use the rootful service (sudo scripts/host-setup.sh)");
        }
        if (List.of("/usr/sbin/criu", "/usr/bin/criu", "/usr/local/sbin/criu", "/usr/local/bin/criu").stream().noneMatch(p -> Files.isExecutable(Path.of(p)))) {
            return Optional.of("CRIU is not installed (sudo scripts/host-setup.sh installs one that passes `criu check`)");
        }
        return Optional.empty();
    }

    /**
     * Limits of this host that do not remove a capability but that users meet: without
     * CAP_SYS_RESOURCE in the bounding set (as on some VMs), CRIU cannot dump a process that
     * runs as a user other than root, so a sprite running such a process cannot hibernate.
     */
    static String caveats() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    long bounding = Long.parseUnsignedLong(line.substring(7).strip(), 16);
                    if ((bounding & (1L << 24)) == 0) {
                        return " (but only processes running as root: this host lacks CAP_SYS_RESOURCE, which CRIU needs to dump other users' processes)";
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
        return "";
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
