package labs.sandwich.puck.podman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import labs.sandwich.puck.api.BackendException;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.IllegalSpriteStateException;
import labs.sandwich.puck.api.ImageNotFoundException;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Resources;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.model.ExecCreateConfig;
import labs.sandwich.puck.podman.internal.libpod.model.InspectContainer;
import labs.sandwich.puck.podman.internal.libpod.model.InspectContainerState;
import labs.sandwich.puck.podman.internal.libpod.model.InspectExecSession;
import labs.sandwich.puck.podman.internal.libpod.model.InspectNetwork;
import labs.sandwich.puck.podman.internal.libpod.model.OciMount;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxCPU;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxMemory;
import labs.sandwich.puck.podman.internal.libpod.model.LinuxResources;
import labs.sandwich.puck.podman.internal.libpod.model.ListContainer;
import labs.sandwich.puck.podman.internal.libpod.model.NamedVolume;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;
import labs.sandwich.puck.podman.internal.libpod.model.VolumeCreateOptions;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPut;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.FileEntity;

/**
 * Sprites as Podman containers: {@code puck-<name>}, labelled {@code managed-by=puck}, with
 * named volumes for {@code /home} and {@code /root} and their writable layer kept, so
 * installed packages persist. Hibernation is a CRIU checkpoint kept in Podman's storage
 * (RAM freed), waking is a restore; both keep open TCP connections. Only containers Puck
 * labelled are ever listed or touched.
 */
public final class PodmanRuntime implements SpriteRuntime {
    /** The runtime's name. */
    public static final String NAME = "podman";
    static final String MANAGED = SpecLabels.MANAGED;
    static final String PUCK = SpecLabels.PUCK;
    static final String SPRITE = SpecLabels.SPRITE;
    /**
     * CRIU cannot dump a unix socket holding messages with credentials; systemd's journald and
     * D-Bus sockets hold some for a moment after each unit change. The dump then fails, the sprite
     * keeps running untouched, and the queue drains by itself: so hibernate waits and tries again.
     */
    private static final String QUEUED_CREDENTIALS = "Control messages in queue";
    private static final List<Duration> QUEUED_CREDENTIALS_RETRIES = List.of(Duration.ofMillis(250), Duration.ofMillis(1000), Duration.ofMillis(3000));

    private final PodmanClient client;
    private final CheckpointArchives archives;
    private final SpriteArchives archived;
    private final SpecLabels specLabels;
    private final BridgeKeeper bridge;
    private final Path snapshotDir;
    private final ResetPoints resetPoints;
    private final Clock clock;
    private final Set<Capability> capabilities;
    private final Map<Capability, String> missing;
    private final Optional<Path> hostsFile;
    static final String CRIU_CONFIG_ANNOTATION = "org.criu.config";
    private final HttpClient probes = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    /**
     * @param client        the libpod client
     * @param clock         the clock
     * @param snapshotDir   where exported snapshots are kept; archived sprites go to its sibling {@code archives}
     * @param canCheckpoint why checkpointing is impossible here, or empty when it works
     */
    public PodmanRuntime(PodmanClient client, Clock clock, Path snapshotDir, Optional<String> canCheckpoint) {
        this(client, clock, snapshotDir, canCheckpoint, Optional.empty());
    }

    /**
     * @param client        the libpod client
     * @param clock         the clock
     * @param snapshotDir   where exported snapshots are kept; archived sprites go to its sibling {@code archives}
     * @param canCheckpoint why checkpointing is impossible here, or empty when it works
     * @param hostsFile     the engine's hosts file, mounted read-only as new sprites' {@code /etc/hosts} ({@code <name>.internal})
     */
    public PodmanRuntime(PodmanClient client, Clock clock, Path snapshotDir, Optional<String> canCheckpoint, Optional<Path> hostsFile) {
        this.hostsFile = hostsFile;
        this.client = client;
        this.archives = new CheckpointArchives(client);
        this.archived = new SpriteArchives(snapshotDir.resolveSibling("archives"), client.json());
        this.specLabels = new SpecLabels(client.json());
        this.bridge = new BridgeKeeper(client);
        this.snapshotDir = snapshotDir;
        this.resetPoints = new ResetPoints(snapshotDir);
        this.clock = clock;
        Set<Capability> caps = EnumSet.of(Capability.EXEC, Capability.CONSOLE, Capability.FILES, Capability.PAUSE, Capability.EXPOSE,
                Capability.BUILD_IMAGES);
        if (hostsFile.isPresent()) {
            caps.add(Capability.INTERNAL_NAMES);
        }
        Map<Capability, String> why = new LinkedHashMap<>();
        if (canCheckpoint.isEmpty()) {
            caps.add(Capability.HIBERNATE);
            caps.add(Capability.ARCHIVE);
            caps.add(Capability.KEEP_TCP_CONNECTIONS);
            caps.add(Capability.SNAPSHOT);
            caps.add(Capability.FORK);
        } else {
            why.put(Capability.HIBERNATE, canCheckpoint.get());
            why.put(Capability.ARCHIVE, canCheckpoint.get());
            why.put(Capability.KEEP_TCP_CONNECTIONS, canCheckpoint.get());
            why.put(Capability.SNAPSHOT, canCheckpoint.get());
            why.put(Capability.FORK, canCheckpoint.get());
        }
        this.capabilities = Set.copyOf(caps);
        this.missing = Map.copyOf(why);
    }

    static String container(String sprite) {
        return "puck-" + sprite;
    }

    static String volume(String sprite, String dir) {
        return "puck-" + sprite + "-" + dir;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public String unsupportedReason(Capability capability) {
        return missing.getOrDefault(capability, "the Podman runtime does not implement it");
    }

    // ---- lifecycle ----

    @Override
    public SpriteInfo create(SpriteSpec spec) {
        String name = spec.name();
        Optional<InspectContainer> existing = inspectContainer(name);
        if (existing.isPresent()) {
            Map<String, String> labels = labels(existing.get());
            throw PUCK.equals(labels.get(MANAGED)) ? new SpriteAlreadyExistsException(name)
                    : new SpriteAlreadyExistsException(name, "a Podman container not managed by Puck (" + container(name) + ")");
        }
        if (archived.find(name).isPresent()) {
            throw new SpriteAlreadyExistsException(name);
        }
        requireImage(spec.image());
        List<NamedVolume> volumes = new ArrayList<>();
        List<String> made = new ArrayList<>();
        try {
            for (String dir : List.of("home", "root")) {
                if (ensureVolume(name, dir)) {
                    made.add(volume(name, dir));
                }
                volumes.add(new NamedVolume().name(volume(name, dir)).dest("/" + dir));
            }
            SpecGenerator gen = BridgeKeeper.onNetwork(new SpecGenerator().name(container(name)).image(spec.image().reference()).hostname(name)
                    .labels(specLabels.encode(spec)).env(new LinkedHashMap<>(spec.env())).volumes(volumes).stopTimeout(2L)
                    .resourceLimits(limits(spec.resources())));
            hostsFile.ifPresent(f -> gen.mounts(List.of(new OciMount().destination("/etc/hosts").type("bind").source(f.toString())
                    .options(List.of("bind", "ro"))))); // <name>.internal; the engine rewrites the file in place
            if (bootsSystemd(spec.image())) {
                gen.annotations(Map.of(CRIU_CONFIG_ANNOTATION, systemdCriuConfig().toString()));
            }
            api(null, "network", () -> {
                bridge.ensureNetwork();
                bridge.ensureKeeper(keeperImage(spec.image().reference()));
                return null;
            });
            api(name, "create", () -> client.containers().containerCreate(gen));
            api(name, "start", () -> {
                client.containers().containerStart(container(name));
                return null;
            });
        } catch (RuntimeException e) {
            // A sprite that never started holds no data: remove its container and the volumes this
            // call made, but never volumes kept from an earlier sprite of the same name.
            quietly(() -> client.containers().containerDelete(container(name), true, true, 0, false));
            for (String v : made) {
                quietly(() -> {
                    client.volumes().volumeDelete(v, true);
                    return null;
                });
            }
            throw e;
        }
        return inspect(name).orElseThrow(() -> new BackendException(NAME, name, 0, "the container vanished right after it started.", "Check `podman ps -a`.", null));
    }

    /**
     * Builds with Podman's builder ({@code POST /libpod/build}), which answers with a stream
     * of JSON lines; an {@code error} line fails the build with the builder's own words.
     * Nothing is pulled: a base image must already be in Podman's storage.
     */
    @Override
    public ImageRef buildImage(Path context, String containerfile, ImageRef tag) {
        Path tar = null;
        try {
            tar = Files.createTempFile("puck-build-", ".tar");
            try (OutputStream out = Files.newOutputStream(tar)) {
                Tar.writeTree(context, out);
            }
            org.apache.hc.client5.http.classic.methods.HttpPost post = new org.apache.hc.client5.http.classic.methods.HttpPost(PodmanClient.BASE
                    + "/build?t=" + URLEncoder.encode(tag.reference(), StandardCharsets.UTF_8)
                    + "&dockerfile=" + URLEncoder.encode(containerfile, StandardCharsets.UTF_8) + "&pull=false&forcerm=true");
            post.setEntity(new FileEntity(tar.toFile(), ContentType.create("application/x-tar")));
            StringBuilder log = new StringBuilder();
            String error = client.http().execute(post, r -> {
                if (r.getCode() >= 300) {
                    return "HTTP " + r.getCode() + ": " + EntityUtils.toString(r.getEntity());
                }
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(r.getEntity().getContent(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        var json = client.json().readTree(line);
                        if (json.hasNonNull("error")) {
                            return json.get("error").asText();
                        }
                        log.append(json.path("stream").asText(""));
                    }
                }
                return null;
            });
            if (error != null) {
                String tail = log.length() > 2000 ? log.substring(log.length() - 2000) : log.toString();
                throw new BackendException(NAME, null, 0, "building " + tag + " from " + context.resolve(containerfile) + " failed: " + error.strip(),
                        "Fix the Containerfile; the builder said:\n" + tail.strip(), null);
            }
            requireImage(tag);
            return tag;
        } catch (IOException e) {
            throw new BackendException(NAME, null, 0, "building " + tag + " failed: " + e.getMessage(), "Check the build context " + context + ".", e);
        } finally {
            if (tar != null) {
                deleteQuietly(tar);
            }
        }
    }

    @Override
    public Optional<SpriteInfo> inspect(String sprite) {
        Optional<InspectContainer> c = inspectContainer(sprite);
        if (c.isPresent()) {
            return c.filter(x -> PUCK.equals(labels(x).get(MANAGED))).map(this::info);
        }
        return archived.find(sprite).map(this::info);
    }

    @Override
    public List<SpriteInfo> list() {
        String filters = client.filters(Map.of("label", List.of(MANAGED + "=" + PUCK)));
        List<ListContainer> found = api(null, "list", () -> client.containers().containerList(true, filters));
        List<SpriteInfo> out = new ArrayList<>();
        for (ListContainer c : found) {
            String sprite = c.getLabels() == null ? null : c.getLabels().get(SPRITE);
            if (sprite != null) {
                inspect(sprite).ifPresent(out::add);
            }
        }
        for (String sprite : archived.sprites()) {
            if (out.stream().noneMatch(i -> i.name().equals(sprite))) {
                inspect(sprite).ifPresent(out::add);
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    @Override
    public void pause(String sprite) {
        inState(sprite, "pause", SpriteState.RUNNING, () -> {
            client.containers().containerPause(container(sprite));
            return null;
        });
    }

    @Override
    public void unpause(String sprite) {
        inState(sprite, "unpause", SpriteState.PAUSED, () -> {
            client.containers().containerUnpause(container(sprite));
            return null;
        });
    }

    @Override
    public void hibernate(String sprite) {
        requireCapability(Capability.HIBERNATE);
        if (!Files.isRegularFile(criuConfigFile())) {
            try {
                systemdCriuConfig(); // a systemd sprite's annotation names it; someone removed it
            } catch (BackendException unwritable) {
                // only systemd sprites need it, and their checkpoint will say what CRIU missed
            }
        }
        // The sprite's address must stay on this machine while it sleeps: the bridge lives as long as a container on it runs.
        quietly(() -> {
            bridge.ensureKeeper(keeperImage(ImageRef.DEFAULT.reference()));
            return null;
        });
        for (int attempt = 0; ; attempt++) {
            try {
                inState(sprite, "hibernate", SpriteState.RUNNING, () -> client.containers().containerCheckpoint(container(sprite), false, false, true, false, false, false, true, false));
                return;
            } catch (BackendException e) {
                if (attempt < QUEUED_CREDENTIALS_RETRIES.size() && criuLogSays(sprite, "dump.log", QUEUED_CREDENTIALS)) {
                    sleep(QUEUED_CREDENTIALS_RETRIES.get(attempt));
                    continue;
                }
                throw criuFailure(sprite, "hibernate", e, Optional.empty());
            }
        }
    }

    @Override
    public void wake(String sprite) {
        requireCapability(Capability.HIBERNATE);
        for (int attempt = 0; ; attempt++) {
            try {
                inState(sprite, "wake", SpriteState.HIBERNATED, () -> client.containers().containerRestore(container(sprite), null, false, true, false, false, false, false, false, true, false));
                break;
            } catch (IllegalSpriteStateException e) {
                if (e.state() != SpriteState.ARCHIVED) {
                    throw e;
                }
                wakeFromArchive(sprite, archived.find(sprite).orElseThrow(() -> e));
                return;
            } catch (BackendException e) {
                addressTaken(sprite, e).ifPresent(taken -> {
                    throw taken;
                });
                BackendException failure = criuFailure(sprite, "wake", e, keepRestoreLog(sprite));
                // A failed restore leaves the checkpoint as it was (the sprite is still HIBERNATED, or inState had said
                // otherwise): one more try rides out a passing cause; the first failure's log is kept.
                if (attempt == 0 && failure != e) {
                    sleep(Duration.ofMillis(500));
                    continue;
                }
                throw failure;
            }
        }
        if (archived.find(sprite).isPresent()) {
            // left by an archiving that stopped before it removed the container: the container is the truth
            archived.delete(sprite);
        }
    }

    /**
     * Exports a hibernated sprite's checkpoint to {@code <data dir>/podman/archives/<sprite>.tar},
     * records its size and SHA-256 next to it, then removes the container; the volumes stay.
     * Podman exports only a running container's checkpoint, so the sprite is restored in place
     * first and checkpointed again straight into the archive (about as long as a wake and a
     * hibernate). If the export fails, the sprite is hibernated again as it was.
     */
    @Override
    public void archive(String sprite) {
        requireCapability(Capability.ARCHIVE);
        InspectContainer c = inspectContainer(sprite).filter(x -> PUCK.equals(labels(x).get(MANAGED)))
                .orElseThrow(() -> archived.find(sprite).<PuckException>map(r -> new IllegalSpriteStateException(sprite, SpriteState.ARCHIVED, "archive",
                        "It is archived already.")).orElseGet(() -> new SpriteNotFoundException(sprite)));
        SpriteState state = info(c).state();
        if (state != SpriteState.HIBERNATED) {
            throw new IllegalSpriteStateException(sprite, state, "archive", "Only a hibernated sprite is archived; hibernate it first.");
        }
        Path tar = archived.archive(sprite);
        wake(sprite);
        CheckpointArchives.Archive a;
        try {
            a = archives.export(container(sprite), false, tar);
        } catch (IOException e) {
            quietly(() -> client.containers().containerCheckpoint(container(sprite), false, false, true, false, false, false, true, false));
            throw streamingFailure(sprite, "archive", e, "The sprite was hibernated again as it was; check free disk space in " + archived.dir() + ".");
        }
        try {
            archived.write(new SpriteArchives.Record(sprite, a.size(), a.sha256(), clock.instant(), parse(c.getCreated()).orElse(clock.instant()),
                    imageOf(c), labels(c), c.getConfig().getEnv() == null ? List.of() : c.getConfig().getEnv(), c.getId()));
        } catch (IOException e) {
            deleteQuietly(tar);
            throw new BackendException(NAME, sprite, 0, "archive failed: cannot write its record in " + archived.dir() + " (" + e.getMessage() + ").",
                    "The sprite stays hibernated in Podman; check free disk space and permissions in " + archived.dir() + ".", e);
        }
        api(sprite, "archive (remove the container)", () -> client.containers().containerDelete(container(sprite), true, false, 0, false));
        quietly(() -> {
            bridge.removeKeeperIfUnused();
            return null;
        });
    }

    /**
     * Imports an archived sprite's checkpoint after checking its SHA-256. Its kept volumes are
     * used as they are (nothing ran on them since); only if they were removed are they made
     * again from the archive. The archive is deleted once the sprite runs.
     */
    private void wakeFromArchive(String sprite, SpriteArchives.Record record) {
        Path tar = archived.verified(record);
        api(null, "network", () -> {
            bridge.ensureNetwork();
            bridge.ensureKeeper(keeperImage(record.image()));
            return null;
        });
        boolean volumesKept = volumeExists(volume(sprite, "home")) && volumeExists(volume(sprite, "root"));
        try {
            archives.importArchive(tar, volumesKept);
        } catch (IOException e) {
            Optional<Path> restoreLog = keepRestoreLog(sprite);
            quietly(() -> client.containers().containerDelete(container(sprite), true, true, 0, false));
            if (!volumesKept) {
                removeContainerAndVolumes(sprite);
            }
            throw criuFailure(sprite, "wake", streamingFailure(sprite, "wake from the archive", e,
                    "Nothing was deleted: the sprite stays ARCHIVED in " + tar + ", its volumes as they were."), restoreLog);
        }
        archived.delete(sprite);
    }

    private static final java.util.regex.Pattern ADDRESS_TAKEN = java.util.regex.Pattern.compile(
            "requested ip address (\\S+) is already allocated to container ID ([0-9a-f]{12,64})");

    /**
     * A restore in place takes the sprite's own address back (its open connections are bound to
     * it), but Podman frees a checkpointed container's address, and its allocator, which goes
     * round the network's range, may give it to a container created meanwhile. Podman's answer
     * names only an address and an id; this says whose, and that nothing was lost.
     *
     * @return the error to throw instead of {@code e}, if {@code e} is that refusal
     */
    private Optional<BackendException> addressTaken(String sprite, BackendException e) {
        var m = ADDRESS_TAKEN.matcher(e.problem());
        if (!m.find()) {
            return Optional.empty();
        }
        String holder = m.group(2).substring(0, 12);
        try {
            InspectContainer c = client.containers().containerInspect(m.group(2));
            String taker = c.getConfig() != null && c.getConfig().getLabels() != null ? c.getConfig().getLabels().get(SPRITE) : null;
            holder = taker != null ? "sprite " + taker + " (container " + c.getName() + ")" : "container " + c.getName();
        } catch (ApiException gone) {
            // removed meanwhile: the id is all there is, and a retry may now succeed
        }
        return Optional.of(new BackendException(NAME, sprite, e.status(), "wake failed: " + sprite + " sleeps at its address " + m.group(1) + " on the "
                + BridgeKeeper.NETWORK + " network, and Podman gave that address to " + holder + " while it slept; Podman restores a sprite only at its own "
                + "address.", "Nothing was changed: " + sprite + " is still hibernated, with its memory and files. Stop or remove " + holder
                + " (or hibernate it), then wake " + sprite + " again.", e));
    }

    /**
     * Names what to do when CRIU refused a checkpoint: Podman's message carries CRIU's, and the
     * log it points to says more. The sprite's state is what it was.
     */
    private BackendException criuFailure(String sprite, String operation, BackendException e, Optional<Path> restoreLog) {
        String m = e.problem().substring(e.problem().indexOf(": ") + 2);
        if (m.contains("runc checkpoint") || m.contains("runc restore")) {
            // runc's message names only itself; CRIU's own words are in its log, next to the checkpoint
            String log = m.contains("runc checkpoint") ? "dump.log" : "restore.log";
            m = "runc failed; CRIU's " + log + " says: " + criuErrors(sprite, log).orElse("(no log found)");
        }
        m += restoreLog.map(copy -> " (restore.log kept as " + copy + ")").orElse("");
        if (!m.toLowerCase(java.util.Locale.ROOT).contains("criu")) {
            return e;
        }
        String remedy = switch (operation) {
            case "hibernate" -> "The sprite keeps running. CRIU's log (the path is in the message, or dump.log in the container's userdata) says which process or resource "
                    + "it could not dump; `sudo criu check` tests the host, and the probe's detail line names this host's limits.";
            case "restore" -> "The snapshot cannot be restored on this host: it was most likely taken on another kernel or with another CRIU version (CRIU restores only "
                    + "on a compatible one). " + e.remedy().orElse("") + " Restore it on the machine that took it, or take a new snapshot here. CRIU's restore.log says more.";
            default -> "Nothing was changed: the sprite's state, files and volumes are as they were. The checkpoint was most likely made on another kernel or with another "
                    + "CRIU version (CRIU restores only on a compatible one): wake it on the machine that made it, or, to start afresh with its files, delete it "
                    + "without PURGE (its volumes /home and /root are kept) and create it again. CRIU's restore.log says more.";
        };
        return new BackendException(NAME, sprite, e.status(), operation + " failed: CRIU refused the checkpoint: " + m, remedy, e);
    }

    /** @return the error lines of a CRIU log in the sprite's container directory (the socket is local), at most three */
    private Optional<String> criuErrors(String sprite, String log) {
        Optional<Path> path = criuLog(sprite, log);
        List<String> errors = path.map(p -> lines(p).stream().filter(l -> l.contains("Error (")).map(String::strip).toList()).orElse(List.of());
        return errors.isEmpty() ? Optional.empty() : Optional.of(String.join(" | ", errors.subList(0, Math.min(3, errors.size()))) + " (" + path.get() + ")");
    }

    /**
     * Copies the sprite's restore.log out of its container directory, where the next restore
     * overwrites it, into {@code <data dir>/podman/criu-logs}; the newest 20 copies are kept.
     */
    private Optional<Path> keepRestoreLog(String sprite) {
        Optional<Path> log = criuLog(sprite, "restore.log");
        if (log.isEmpty()) {
            return Optional.empty();
        }
        Path dir = snapshotDir.resolveSibling("criu-logs");
        try {
            Files.createDirectories(dir);
            Path copy = dir.resolve(sprite + "-restore-" + clock.millis() + ".log");
            Files.copy(log.get(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (var files = Files.list(dir)) {
                List<Path> old = files.sorted(java.util.Comparator.comparing(PodmanRuntime::modified).reversed()).skip(20).toList();
                for (Path p : old) {
                    Files.deleteIfExists(p);
                }
            }
            return Optional.of(copy);
        } catch (IOException e) {
            return Optional.empty(); // the message still carries CRIU's error lines
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    private boolean criuLogSays(String sprite, String log, String text) {
        return criuLog(sprite, log).map(p -> lines(p).stream().anyMatch(l -> l.contains(text))).orElse(false);
    }

    /** @return the path of a CRIU log in the sprite's container directory, if there is one */
    private Optional<Path> criuLog(String sprite, String log) {
        try {
            return inspectContainer(sprite).map(InspectContainer::getStaticDir).map(dir -> Path.of(dir, log)).filter(Files::isRegularFile);
        } catch (PuckException e) {
            return Optional.empty();
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    /**
     * Reads the sprite's network counters from Podman's stats ({@code GET /containers/stats?stream=false}),
     * which reads them in the sprite's network namespace: it works for running and paused sprites
     * on cgroup v1 and v2 and sends nothing to the sprite. Empty for a sprite that does not run
     * (hibernated or archived: it has no network namespace).
     */
    @Override
    public Optional<labs.sandwich.puck.spi.Traffic> traffic(String sprite) {
        labs.sandwich.puck.podman.internal.libpod.model.ContainerStatsReport report;
        try {
            report = client.containers().containerStats(List.of(container(sprite)), false);
        } catch (ApiException e) {
            if (e.getCode() == 404 && archived.find(sprite).isPresent()) {
                return Optional.empty();
            }
            return api(sprite, "traffic", () -> {
                throw e;
            });
        }
        if (report == null || report.getStats() == null || report.getStats().isEmpty() || report.getStats().getFirst().getNetwork() == null) {
            return Optional.empty();
        }
        long rx = 0;
        long tx = 0;
        for (var n : report.getStats().getFirst().getNetwork().values()) {
            rx += n.getRxBytes() == null ? 0 : n.getRxBytes();
            tx += n.getTxBytes() == null ? 0 : n.getTxBytes();
        }
        return Optional.of(new labs.sandwich.puck.spi.Traffic(Math.max(0, rx), Math.max(0, tx)));
    }

    /** From the same stats call as {@link #traffic}: the memory cgroup's usage. */
    @Override
    public java.util.OptionalLong memoryBytes(String sprite) {
        try {
            var report = client.containers().containerStats(List.of(container(sprite)), false);
            if (report == null || report.getStats() == null || report.getStats().isEmpty() || report.getStats().getFirst().getMemUsage() == null) {
                return java.util.OptionalLong.empty();
            }
            return java.util.OptionalLong.of(Math.max(0, report.getStats().getFirst().getMemUsage()));
        } catch (ApiException e) {
            return java.util.OptionalLong.empty(); // an attribute for display: never a reason to fail inspect
        }
    }

    @Override
    public void delete(String sprite, DeletePolicy policy) {
        Optional<SpriteInfo> found = inspect(sprite);
        if (found.isEmpty()) {
            if (policy == DeletePolicy.PURGE) {
                purgeVolumes(sprite, true); // its container was removed behind Puck's back: purging still means its volumes
            }
            throw new SpriteNotFoundException(sprite);
        }
        SpriteInfo info = found.get();
        if (info.state() != SpriteState.ARCHIVED) {
            api(sprite, "delete", () -> client.containers().containerDelete(container(sprite), true, false, 2, false));
        }
        archived.delete(sprite);
        quietly(() -> {
            bridge.removeKeeperIfUnused();
            return null;
        });
        if (policy == DeletePolicy.PURGE) {
            purgeVolumes(sprite, false);
        }
    }

    /**
     * Deletes the sprite's volumes. Orphaned ones (their container was removed behind Puck's back)
     * go only if Puck made them for this very sprite (their labels say so), and not while some
     * container still uses them.
     */
    private void purgeVolumes(String sprite, boolean orphaned) {
        for (String dir : List.of("home", "root")) {
            api(sprite, "delete volume", () -> {
                try {
                    if (orphaned) {
                        Map<String, String> labels = client.volumes().volumeInspect(volume(sprite, dir)).getLabels();
                        if (labels == null || !PUCK.equals(labels.get(MANAGED)) || !sprite.equals(labels.get(SPRITE))) {
                            return null;
                        }
                    }
                    client.volumes().volumeDelete(volume(sprite, dir), !orphaned);
                } catch (ApiException e) {
                    if (!gone(e)) {
                        throw e;
                    }
                }
                return null;
            });
        }
    }

    // ---- exec and files ----

    @Override
    public ExecResult exec(String sprite, ExecRequest request) {
        long t0 = System.nanoTime();
        ExecCreateConfig config = new ExecCreateConfig().cmd(request.argv()).attachStdout(true).attachStderr(true)
                .attachStdin(request.stdin().length > 0).tty(false)
                .env(request.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        if (request.user() != null) {
            config.user(request.user());
        }
        if (request.workdir() != null) {
            config.workingDir(request.workdir());
        }
        String id = inState(sprite, "exec", SpriteState.RUNNING, () -> client.exec().containerExec(container(sprite), config)).getId();
        AtomicBoolean timedOut = new AtomicBoolean();
        try (ExecStream stream = ExecStream.start(client.socket(), id)) {
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(request.timeout());
                    timedOut.set(true);
                    kill(id);
                    stream.close();
                } catch (InterruptedException | IOException done) {
                    // the command finished first
                }
            });
            try {
                if (request.stdin().length > 0) {
                    stream.sendStdin(request.stdin());
                }
                stream.readToEnd();
            } catch (IOException e) {
                if (!timedOut.get()) {
                    throw e;
                }
            } finally {
                watchdog.interrupt();
            }
            if (timedOut.get()) {
                throw new OperationTimeoutException(sprite, "exec " + request.argv().getFirst(), request.timeout());
            }
            int code = exitCode(sprite, id);
            return new ExecResult(sprite, request.argv(), code, new String(stream.stdout(), StandardCharsets.UTF_8),
                    new String(stream.stderr(), StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                kill(id);
                throw new OperationInterruptedException(sprite, "exec", e);
            }
            throw new BackendException(NAME, sprite, 0, "exec " + request.argv().getFirst() + " failed: " + e.getMessage(),
                    "Check that the Podman service runs (sudo scripts/host-setup.sh).", e);
        }
    }

    /** The exit code, once Podman has recorded it (it may lag the end of the stream by a moment). */
    private int exitCode(String sprite, String id) {
        for (int i = 0; ; i++) {
            InspectExecSession s = api(sprite, "exec inspect", () -> client.exec().execInspect(id));
            if (!Boolean.TRUE.equals(s.getRunning()) || i > 200) {
                return s.getExitCode() == null ? -1 : s.getExitCode();
            }
            sleep(Duration.ofMillis(5));
        }
    }

    /** Kills a timed-out exec process. Podman has no call for it; the socket is local, so its host pid is ours to signal. */
    private void kill(String execId) {
        try {
            Integer pid = client.exec().execInspect(execId).getPid();
            if (pid != null && pid > 0) {
                ProcessHandle.of(pid).ifPresent(p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
            }
        } catch (ApiException | RuntimeException ignored) {
            // it ended on its own
        }
    }

    /**
     * Opens a terminal: an exec session with a PTY; the screen's bytes and the keystrokes
     * travel raw on the hijacked connection. Closing the console hangs the terminal up.
     */
    @Override
    public Console console(String sprite, ConsoleRequest request) {
        ExecCreateConfig config = new ExecCreateConfig().cmd(request.argv()).attachStdin(true).attachStdout(true).attachStderr(true)
                .tty(true).env(List.of("TERM=xterm-256color"));
        String id = inState(sprite, "console", SpriteState.RUNNING, () -> client.exec().containerExec(container(sprite), config)).getId();
        try {
            return new PodmanConsole(client, id, ExecStream.start(client.socket(), id, true, request.columns(), request.rows()));
        } catch (IOException e) {
            throw new BackendException(NAME, sprite, 0, "opening a console failed: " + e.getMessage(), "Check that the Podman service runs (sudo scripts/host-setup.sh).", e);
        }
    }

    @Override
    public void writeFile(String sprite, String path, InputStream content) {
        require(sprite, "write a file in", SpriteState.RUNNING);
        Path tmp = null;
        try {
            tmp = Files.createTempFile("puck-put-", ".bin");
            Files.copy(content, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Path tar = Files.createTempFile("puck-put-", ".tar");
            try {
                try (OutputStream out = Files.newOutputStream(tar)) {
                    Tar.writeOne(path.substring(1), tmp, out);
                }
                HttpPut put = new HttpPut(PodmanClient.BASE + "/containers/" + container(sprite) + "/archive?path=/&pause=false");
                put.setEntity(new FileEntity(tar.toFile(), ContentType.create("application/x-tar")));
                client.http().execute(put, response -> {
                    if (response.getCode() >= 300) {
                        throw new IOException("HTTP " + response.getCode() + ": " + EntityUtils.toString(response.getEntity()));
                    }
                    EntityUtils.consume(response.getEntity());
                    return null;
                });
            } finally {
                Files.deleteIfExists(tar);
            }
        } catch (IOException e) {
            throw new BackendException(NAME, sprite, 0, "cannot write " + path + ": " + e.getMessage(), "Check the path and that the disk is not full.", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left in /tmp is harmless
                }
            }
        }
    }

    @Override
    public void readFile(String sprite, String path, OutputStream sink) {
        require(sprite, "read a file from", SpriteState.RUNNING);
        HttpGet get = new HttpGet(PodmanClient.BASE + "/containers/" + container(sprite) + "/archive?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
        try {
            client.http().execute(get, response -> {
                if (response.getCode() == 404) {
                    throw new BackendException(NAME, sprite, 404, "there is no file " + path + " in sprite '" + sprite + "'.", "Check the path.", null);
                }
                if (response.getCode() >= 300) {
                    throw new IOException("HTTP " + response.getCode() + ": " + EntityUtils.toString(response.getEntity()));
                }
                try (InputStream in = response.getEntity().getContent()) {
                    if (!Tar.readOne(in, sink)) {
                        throw new BackendException(NAME, sprite, 0, path + " in sprite '" + sprite + "' is not a regular file.", "Read a file, not a directory.", null);
                    }
                }
                return null;
            });
        } catch (IOException e) {
            throw new BackendException(NAME, sprite, 0, "cannot read " + path + ": " + e.getMessage(), "Check the path.", e);
        }
    }

    // ---- readiness and reachability ----

    @Override
    public boolean isReady(String sprite, Readiness check) {
        return switch (check) {
            case Readiness.None none -> true;
            case Readiness.Port p -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(endpoint(sprite, p.port()).host(), p.port()), 300);
                    yield true;
                } catch (IOException e) {
                    yield false;
                }
            }
            case Readiness.Http h -> {
                Endpoint ep = endpoint(sprite, h.port());
                try {
                    HttpResponse<Void> r = probes.send(HttpRequest.newBuilder(URI.create("http://" + ep.host() + ":" + ep.port() + h.path()))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                    yield r.statusCode() < 500;
                } catch (IOException e) {
                    yield false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OperationInterruptedException(sprite, "readiness", e);
                }
            }
            case Readiness.Command c -> exec(sprite, ExecRequest.of(c.argv()).withTimeout(Duration.ofSeconds(10))).succeeded();
            case Readiness.All a -> a.checks().stream().allMatch(x -> isReady(sprite, x));
        };
    }

    @Override
    public Endpoint endpoint(String sprite, int port) {
        InspectContainer c = inspectContainer(sprite).orElseThrow(() -> archived.find(sprite).<PuckException>map(r -> new IllegalSpriteStateException(sprite,
                SpriteState.ARCHIVED, "reach", "It has no address while it is archived; wake it first.")).orElseGet(() -> new SpriteNotFoundException(sprite)));
        return new Endpoint(ip(c).orElseThrow(() -> new IllegalSpriteStateException(sprite, info(c).state(), "reach",
                "It has no address while it is not running; wake it first.")), port);
    }

    // ---- snapshots ----

    /**
     * @param id a snapshot id
     * @return where that snapshot's exported checkpoint is kept
     */
    public Path snapshotFile(SnapshotId id) {
        return snapshotDir.resolve(id.value() + ".tar");
    }

    @Override
    public Snapshot snapshot(String sprite, SnapshotId id, String label) {
        requireCapability(Capability.SNAPSHOT);
        require(sprite, "snapshot", SpriteState.RUNNING);
        try {
            CheckpointArchives.Archive a = archives.export(container(sprite), true, snapshotFile(id));
            return new Snapshot(id, sprite, label, clock.instant(), a.size(), a.sha256(),
                    EnumSet.of(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM, Snapshot.Content.VOLUMES));
        } catch (IOException e) {
            throw streamingFailure(sprite, "snapshot", e, "Check free disk space in " + snapshotDir + "; the sprite keeps running.");
        }
    }

    /**
     * A snapshot plus a reset point ({@link ResetPoints}): the checkpoint is exported with
     * {@code keep=true} and the container stopped, so CRIU's images stay in its userdata and its
     * files hold still; they are kept beside the snapshot, the container's writable layer and
     * volumes are copied, and the container is restored in place from the kept images.
     */
    @Override
    public Snapshot snapshotForReset(String sprite, SnapshotId id, String label) {
        requireCapability(Capability.SNAPSHOT);
        require(sprite, "snapshot", SpriteState.RUNNING);
        InspectContainer c = inspectContainer(sprite).orElseThrow(() -> new SpriteNotFoundException(sprite));
        List<ResetPoints.Tree> trees = trees(sprite, c);
        CheckpointArchives.Archive a;
        try {
            a = archives.export(container(sprite), false, true, snapshotFile(id));
        } catch (IOException e) {
            // the container is left as the failed checkpoint left it; a stopped one is woken below
            restartAfterFailedPoint(sprite);
            throw streamingFailure(sprite, "snapshot", e, "Check free disk space in " + snapshotDir + "; the sprite keeps running.");
        }
        Path userdata = Path.of(c.getStaticDir());
        ResetPoints.Point point;
        try {
            point = resetPoints.keep(id.value(), c.getId(), userdata, trees);
            resetPoints.linkCheckpoint(point, userdata);
        } catch (IOException e) {
            deleteResetPoint(id.value());
            deleteQuietly(snapshotFile(id));
            restartAfterFailedPoint(sprite);
            throw new BackendException(NAME, sprite, 0, "snapshot failed: cannot keep its reset point in " + snapshotDir + " (" + e.getMessage() + ").",
                    "Check free disk space and permissions in " + snapshotDir + "; the sprite was woken as it was.", e);
        }
        try {
            restoreInPlace(sprite, userdata);
        } catch (BackendException e) {
            throw criuFailure(sprite, "wake", e, keepRestoreLog(sprite));
        }
        return new Snapshot(id, sprite, label, clock.instant(), a.size(), a.sha256(),
                EnumSet.of(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM, Snapshot.Content.VOLUMES));
    }

    /** A checkpoint that stopped the container but could not be kept: wake it from Podman's own checkpoint, if there is one. */
    private void restartAfterFailedPoint(String sprite) {
        quietly(() -> {
            if (inspect(sprite).map(SpriteInfo::state).orElse(null) == SpriteState.HIBERNATED) {
                client.containers().containerRestore(container(sprite), null, false, true, false, false, false, false, false, true, false);
            }
            return null;
        });
    }

    /** Restores a stopped container in place from the checkpoint in its userdata (links to a reset point's images), then removes the links. */
    private void restoreInPlace(String sprite, Path userdata) {
        try {
            api(sprite, "reset (restore in place)", () -> client.containers().containerRestore(container(sprite), null, true, true, false, false, false, false, false, true, false));
        } finally {
            try {
                ResetPoints.unlinkCheckpoint(userdata);
            } catch (IOException ignored) {
                // links left behind: the next reset replaces them; Podman's next checkpoint writes a new directory (see ResetPoints)
            }
        }
    }

    /** The trees a reset puts back: the container's writable layer and its named volumes, as paths on this host. */
    private List<ResetPoints.Tree> trees(String sprite, InspectContainer c) {
        List<ResetPoints.Tree> trees = new ArrayList<>();
        String upper = c.getGraphDriver() == null || c.getGraphDriver().getData() == null ? null : c.getGraphDriver().getData().get("UpperDir");
        if (upper == null || c.getStaticDir() == null) {
            throw new UnsupportedCapabilityException(Capability.SNAPSHOT, NAME, "a reset point needs the overlay storage driver and a local service (this container's "
                    + "writable layer is not a directory here); use snapshot() and restore()");
        }
        trees.add(new ResetPoints.Tree("upper", Path.of(upper)));
        if (c.getMounts() != null) {
            for (var m : c.getMounts()) {
                if ("volume".equals(m.getType()) && m.getName() != null && m.getSource() != null) {
                    trees.add(new ResetPoints.Tree("volume-" + m.getName(), Path.of(m.getSource())));
                }
            }
        }
        return trees;
    }

    /**
     * Puts the sprite back to the snapshot without saving its current state. With a reset
     * point of this very container: stop it, put back what changed in its files and volumes,
     * restore in place from the kept images (no archive is written or read). Otherwise, or if
     * that fails: the snapshot's archive is imported in place of the container, as a restore
     * does, but with no rollback archive (the current state is what the caller discards).
     */
    @Override
    public void reset(String sprite, Snapshot snapshot) {
        requireCapability(Capability.SNAPSHOT);
        Optional<ResetPoints.Point> point = resetPoints.find(snapshot.id().value());
        Optional<InspectContainer> c = inspectContainer(sprite);
        if (point.isEmpty() || c.isEmpty() || !point.get().containerId().equals(c.get().getId())) {
            restore(sprite, snapshot);
            return;
        }
        SpriteState state = info(c.get()).state();
        switch (state) {
            case PAUSED -> {
                unpause(sprite);
                stop(sprite, c.get());
            }
            case RUNNING -> stop(sprite, c.get());
            case HIBERNATED, FAILED -> { }
            default -> throw new IllegalSpriteStateException(sprite, state, "reset", "Wait for the current operation to finish.");
        }
        Path userdata = Path.of(c.get().getStaticDir());
        try {
            resetPoints.prepare(point.get(), userdata, trees(sprite, c.get()));
            restoreInPlace(sprite, userdata);
        } catch (IOException | BackendException e) {
            // The files are half put back or CRIU refused: the snapshot's archive is the truth (slower, same state).
            Path file = verified(snapshot);
            removeContainerAndVolumes(sprite);
            try {
                archives.importArchive(file);
            } catch (IOException failed) {
                failed.addSuppressed(e);
                throw criuFailure(sprite, "restore", streamingFailure(sprite, "reset", failed,
                        "The sprite's previous state was discarded, as a reset does; restore the snapshot again, or fork it."), Optional.empty());
            }
            deleteResetPoint(snapshot.id().value()); // it was of the removed container
        }
    }

    /**
     * Stops a running container at once: its state is being discarded. Its init is killed
     * through its host pid first (the socket is local: reset points need it), which ends every
     * process of its pid namespace; Podman's own stop would send the same SIGKILL but then polls
     * for the end every 100 ms (measured: 180-500 ms, against ~25 ms this way for a MariaDB holding 200 MB). Then Podman
     * stops it (cleaning up its mounts and network) and the reset waits until it is exited, so
     * that its writable layer is unmounted before it is put back.
     */
    private void stop(String sprite, InspectContainer c) {
        Long pid = c.getState() == null ? null : c.getState().getPid();
        if (pid != null && pid > 0) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                // Polled here: the JDK's onExit() for a process that is not its child first sleeps 300 ms (then longer),
                // which was a third of a reset; the kill itself takes a few ms (more for a process with much memory).
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (p.isAlive() && System.nanoTime() < deadline) { // past the deadline, Podman's stop below kills it too
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new OperationInterruptedException(sprite, "reset", e);
                    }
                }
            });
        }
        api(sprite, "reset (stop)", () -> {
            client.containers().containerStop(container(sprite), 0, true);
            return null;
        });
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (inspectContainer(sprite).map(x -> x.getState() == null ? null : x.getState().getStatus()).filter(st -> !"exited".equals(st)).isPresent()) {
            if (System.nanoTime() > end) {
                throw new BackendException(NAME, sprite, 0, "reset: the container did not reach 'exited' within 30 s of its stop.",
                        "Check `podman ps -a` and the service's log; the reset was not done.", null);
            }
            sleep(Duration.ofMillis(5));
        }
    }

    /**
     * Puts a sprite back to a snapshot. Podman imports a checkpoint only when neither the
     * container nor its volumes exist, so the sprite's current state is first exported to a
     * rollback archive (memory, files and volumes); only then are the container and its
     * volumes removed and the snapshot imported. If the import fails, the rollback archive
     * is imported instead; if that fails too, it is kept and named in the error. Nothing is
     * lost on any path.
     */
    @Override
    public void restore(String sprite, Snapshot snapshot) {
        requireCapability(Capability.SNAPSHOT);
        Path file = verified(snapshot);
        SpriteState state = inspect(sprite).orElseThrow(() -> new SpriteNotFoundException(sprite)).state();
        Path rollback;
        if (state == SpriteState.ARCHIVED) {
            // The archive is the rollback archive already: it holds memory, files and the volumes' contents.
            rollback = archived.verified(archived.find(sprite).orElseThrow(() -> new SpriteNotFoundException(sprite)));
        } else {
            switch (state) {
                case PAUSED -> unpause(sprite);
                case HIBERNATED -> wake(sprite);
                case RUNNING -> { }
                default -> throw new IllegalSpriteStateException(sprite, state, "restore", "Wait for the current operation to finish.");
            }
            rollback = snapshotDir.resolve("rollback-" + sprite + "-" + System.nanoTime() + ".tar");
            try {
                archives.export(container(sprite), false, rollback);
            } catch (IOException e) {
                throw streamingFailure(sprite, "restore (saving the current state first)", e, "Nothing was changed; check free disk space in " + snapshotDir + ".");
            }
        }
        api(null, "network", () -> {
            bridge.ensureNetwork();
            bridge.ensureKeeper(keeperImage(ImageRef.DEFAULT.reference()));
            return null;
        });
        removeContainerAndVolumes(sprite);
        try {
            archives.importArchive(file);
        } catch (IOException failed) {
            Optional<Path> restoreLog = keepRestoreLog(sprite);
            removeContainerAndVolumes(sprite);
            try {
                archives.importArchive(rollback);
            } catch (IOException alsoFailed) {
                failed.addSuppressed(alsoFailed);
                throw new BackendException(NAME, sprite, 0, "restoring snapshot " + snapshot.id() + " failed (" + failed.getMessage()
                        + "), and so did putting the sprite back as it was (" + alsoFailed.getMessage() + ").",
                        "Nothing is lost: the sprite's state is in " + rollback + "; restore it with `podman container restore --import " + rollback + "`.", failed);
            }
            forgetRollback(sprite, rollback);
            throw criuFailure(sprite, "restore", streamingFailure(sprite, "restore", failed, state == SpriteState.ARCHIVED
                    ? "The sprite was woken from its archive instead, with the memory and files it had." : "The sprite was put back as it was before the restore."), restoreLog);
        }
        forgetRollback(sprite, rollback);
    }

    /** A rollback archive is removed once a container holds the state; an archived sprite's is its archive, with its record. */
    private void forgetRollback(String sprite, Path rollback) {
        if (rollback.equals(archived.archive(sprite))) {
            archived.delete(sprite);
        } else {
            deleteQuietly(rollback);
        }
    }

    /** @return the snapshot's file, after checking its size and SHA-256 against the record */
    private Path verified(Snapshot snapshot) {
        return CheckpointArchives.verify(snapshotFile(snapshot.id()), snapshot.sizeBytes(), snapshot.sha256(), snapshot.sprite(), snapshot.id().value());
    }

    private void removeContainerAndVolumes(String sprite) {
        quietly(() -> client.containers().containerDelete(container(sprite), true, true, 0, false));
        for (String dir : List.of("home", "root")) {
            quietly(() -> {
                client.volumes().volumeDelete(volume(sprite, dir), true);
                return null;
            });
        }
    }

    @Override
    public void deleteSnapshot(Snapshot snapshot) {
        deleteQuietly(snapshotFile(snapshot.id()));
        deleteResetPoint(snapshot.id().value());
    }

    private void deleteResetPoint(String snapshotId) {
        try {
            resetPoints.delete(snapshotId);
        } catch (IOException ignored) {
            // a leftover reset point wastes space but loses nothing
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover archive wastes space but loses nothing
        }
    }

    private static BackendException streamingFailure(String sprite, String operation, IOException e, String remedy) {
        int status = e instanceof CheckpointArchives.PodmanCallException p ? p.status : 0;
        return new BackendException(NAME, sprite, status, operation + " failed: " + e.getMessage(), remedy, e);
    }

    /**
     * Starts a new sprite from a snapshot: the archive is rewritten so the fork has its own
     * name, label and volumes (seeded with the snapshot's contents), then imported under the
     * new name. Open TCP connections are not carried into a fork: Podman cannot restore them
     * under a new name, and two sprites cannot own one connection.
     */
    @Override
    public SpriteInfo fork(Snapshot snapshot, SpriteSpec spec) {
        requireCapability(Capability.FORK);
        Path file = verified(snapshot);
        String name = spec.name();
        if (inspectContainer(name).isPresent() || archived.find(name).isPresent()) {
            throw new SpriteAlreadyExistsException(name);
        }
        for (String dir : List.of("home", "root")) {
            if (volumeExists(volume(name, dir))) {
                // Kept by an earlier delete of a sprite with this name: never overwrite or remove them here.
                throw new SpriteAlreadyExistsException(name, "the kept volume " + volume(name, dir)
                        + " of a deleted sprite (create the sprite again to use it, or delete it with PURGE)");
            }
        }
        Path rewritten = snapshotDir.resolve("fork-" + name + "-" + System.nanoTime() + ".tar");
        api(null, "network", () -> {
            bridge.ensureNetwork();
            bridge.ensureKeeper(keeperImage(ImageRef.DEFAULT.reference()));
            return null;
        });
        try {
            archives.rewriteForFork(file, snapshot.sprite(), name, rewritten);
            archives.importAs(rewritten, container(name));
        } catch (IOException e) {
            removeContainerAndVolumes(name);
            throw streamingFailure(name, "fork", e, "Nothing of the parent was touched. A snapshot taken while TCP connections were open cannot be forked: take it with none open.");
        } finally {
            deleteQuietly(rewritten);
        }
        return inspect(name).orElseThrow(() -> new BackendException(NAME, name, 0, "the fork vanished right after its restore.", "Check `podman ps -a`.", null));
    }


    @Override
    public void close() {
        client.close();
    }

    // ---- machinery ----

    private interface Call<T> {
        T run() throws ApiException;
    }

    /** Calls libpod and translates its errors at the SPI boundary. */
    private <T> T api(String sprite, String operation, Call<T> call) {
        try {
            return call.run();
        } catch (ApiException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new OperationInterruptedException(sprite, operation, e);
            }
            if (gone(e) && sprite != null) {
                if (archived.find(sprite).isPresent()) {
                    throw new IllegalSpriteStateException(sprite, SpriteState.ARCHIVED, operation, "Wake it first: it is archived, and has no container until then.");
                }
                throw new SpriteNotFoundException(sprite);
            }
            if (e.getCode() == 0) {
                throw new BackendException(NAME, sprite, 0, "cannot reach the Podman service at " + client.socket() + " (" + e.getMessage() + ").",
                        "Start it: sudo scripts/host-setup.sh (or `podman system service --time=0 unix://" + client.socket() + "`).", e);
            }
            throw new BackendException(NAME, sprite, e.getCode(), operation + ": " + client.message(e),
                    "See the Podman service's log (/var/log/puck-podman-service.log); nothing was deleted.", e);
        }
    }

    /**
     * Whether Podman says the container does not exist: a 404, or the 500 it answers when the
     * container is removed between its name's lookup and its record's (a list racing a delete).
     */
    private static boolean gone(ApiException e) {
        return e.getCode() == 404 || (e.getCode() == 500 && e.getResponseBody() != null && e.getResponseBody().contains("\"cause\":\"no such container\""));
    }

    private Optional<InspectContainer> inspectContainer(String sprite) {
        try {
            return Optional.of(client.containers().containerInspect(container(sprite)));
        } catch (ApiException e) {
            if (gone(e)) {
                return Optional.empty();
            }
            return Optional.of(api(sprite, "inspect", () -> {
                throw e;
            }));
        }
    }

    /**
     * Calls libpod for an operation that needs the sprite in one state. The state is checked
     * only when the call fails, to tell a wrong state from a real failure: an inspect on every
     * call would cost the hot path (wake, pause, exec) a round trip.
     */
    private <T> T inState(String sprite, String operation, SpriteState needed, Call<T> call) {
        try {
            return api(sprite, operation, call);
        } catch (BackendException e) {
            require(sprite, operation, needed);
            throw e;
        }
    }

    private void require(String sprite, String operation, SpriteState needed) {
        SpriteState state = inspect(sprite).orElseThrow(() -> new SpriteNotFoundException(sprite)).state();
        if (state != needed) {
            throw new IllegalSpriteStateException(sprite, state, operation, "The sprite must be " + needed + "; the engine wakes it first.");
        }
    }

    private void requireCapability(Capability c) {
        if (!capabilities.contains(c)) {
            throw new UnsupportedCapabilityException(c, NAME, unsupportedReason(c));
        }
    }

    private void requireImage(ImageRef image) {
        try {
            client.images().imageExists(image.reference());
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                throw new ImageNotFoundException(image, image.equals(ImageRef.DEFAULT)
                        ? "Build the base image: sudo scripts/base-image.sh (it needs no registry)."
                        : "Build or import it into rootful Podman first (podman build, podman import, podman pull).");
            }
            api(null, "image exists", () -> {
                throw e;
            });
        }
    }

    private boolean volumeExists(String volume) {
        try {
            client.volumes().volumeExists(volume);
            return true;
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return false;
            }
            return api(null, "volume exists", () -> {
                throw e;
            });
        }
    }

    /** @return whether the volume was created now (rather than kept from an earlier sprite) */
    private boolean ensureVolume(String sprite, String dir) {
        String name = volume(sprite, dir);
        if (volumeExists(name)) {
            return false;
        }
        api(sprite, "create volume", () -> client.volumes().volumeCreate(new VolumeCreateOptions().name(name)
                .labels(Map.of(MANAGED, PUCK, SPRITE, sprite))));
        return true;
    }

    /**
     * Whether the image boots systemd as PID 1 ({@code /sbin/init}, {@code /lib/systemd/systemd}…,
     * as its entrypoint or, without one, its command). Podman runs such a container in its
     * systemd mode by itself; CRIU then needs {@link #systemdCriuConfig()} to dump it.
     */
    private boolean bootsSystemd(ImageRef image) {
        try {
            var config = client.images().imageInspect(image.reference()).getConfig();
            if (config == null) {
                return false;
            }
            List<String> argv = config.getEntrypoint() != null && !config.getEntrypoint().isEmpty() ? config.getEntrypoint() : config.getCmd();
            return argv != null && !argv.isEmpty() && isSystemd(argv.getFirst());
        } catch (ApiException e) {
            return false;
        }
    }

    static boolean isSystemd(String program) {
        return List.of("/sbin/init", "/usr/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd", "systemd", "init").contains(program);
    }

    /**
     * CRIU's configuration for sprites whose PID 1 is systemd, given to each such container as
     * the {@code org.criu.config} annotation (runc passes it to CRIU on every checkpoint and
     * restore). systemd and dbus hold inotify watches on these directories, and CRIU must be
     * told where to look to find the watched files again by their inode ({@code irmap}); without
     * it every checkpoint fails ({@code criu failed: type NOTIFY}). Written once, idempotently,
     * in the data directory, and again before a hibernate if someone removed it.
     */
    Path systemdCriuConfig() {
        Path file = criuConfigFile();
        String text = "# Puck: CRIU options for sprites with systemd as PID 1 (see docs/podman.md)\n"
                + "irmap-scan-path /usr/share/dbus-1\nirmap-scan-path /usr/share/zoneinfo/Etc\n";
        try {
            if (!Files.isRegularFile(file) || !Files.readString(file).equals(text)) {
                Files.createDirectories(file.getParent());
                Path part = file.resolveSibling("systemd.conf.part");
                Files.writeString(part, text);
                Files.move(part, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return file;
        } catch (IOException e) {
            throw new BackendException(NAME, null, 0, "cannot write CRIU's configuration for systemd sprites to " + file + ": " + e.getMessage(),
                    "Check the data directory's permissions and free space.", e);
        }
    }

    private Path criuConfigFile() {
        return snapshotDir.resolveSibling("criu").resolve("systemd.conf");
    }

    /** The keeper's image: the base image if it is here (every sprite image may not be), else the one given. */
    private String keeperImage(String fallback) {
        try {
            client.images().imageExists(ImageRef.DEFAULT.reference());
            return ImageRef.DEFAULT.reference();
        } catch (ApiException e) {
            return fallback;
        }
    }

    private static LinuxResources limits(Resources r) {
        LinuxResources out = new LinuxResources();
        if (r.memoryBytes() > 0) {
            out.memory(new LinuxMemory().limit(r.memoryBytes()));
        }
        if (r.cpus() > 0) {
            out.cpu(new LinuxCPU().period(100_000L).quota((long) (r.cpus() * 100_000)));
        }
        return out;
    }

    private static Map<String, String> labels(InspectContainer c) {
        return c.getConfig() == null || c.getConfig().getLabels() == null ? Map.of() : c.getConfig().getLabels();
    }

    /** Rebuilds the spec from the container's labels and configuration: what adoption after a lost store needs. */
    private SpriteInfo info(InspectContainer c) {
        Map<String, String> labels = labels(c);
        SpriteSpec spec = specLabels.decode(labels, imageOf(c), c.getConfig().getEnv());
        Instant created = parse(c.getCreated()).orElse(clock.instant());
        InspectContainerState st = c.getState();
        Instant since = parse(st == null ? null : st.getRestoredAt()).or(() -> parse(st == null ? null : st.getCheckpointedAt())).orElse(created);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("container", c.getName());
        attributes.put("container.id", c.getId());
        ip(c).ifPresent(ip -> attributes.put("ip", ip));
        attributes.put("podman.status", st == null ? "unknown" : String.valueOf(st.getStatus()));
        SpriteState state = state(st);
        if (state == SpriteState.FAILED && completedDump(c).isPresent()) {
            state = SpriteState.HIBERNATED;
            since = completedDump(c).get();
            attributes.put("podman.checkpoint", "completed while the Podman service was down; a wake restores it");
        }
        return new SpriteInfo(spec.name(), state, spec, NAME, created, since, attributes);
    }

    /** An archived sprite, from its record: the same labels, so the same spec. */
    private SpriteInfo info(SpriteArchives.Record r) {
        SpriteSpec spec = specLabels.decode(r.labels(), r.image(), r.env());
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("archive", archived.archive(r.sprite()).toString());
        attributes.put("archive.sha256", r.sha256());
        attributes.put("archive.size", String.valueOf(r.size()));
        attributes.put("container.id", r.containerId());
        return new SpriteInfo(spec.name(), SpriteState.ARCHIVED, spec, NAME, r.created(), r.archivedAt(), attributes);
    }

    /**
     * A checkpoint that CRIU finished while Podman's service died (the service runs runc, which
     * runs CRIU; they carry on without it): Podman then records the container as exited, not
     * checkpointed, yet a complete checkpoint is in its directory and {@code restore} brings the
     * sprite back with its memory. Complete means CRIU's inventory is there and its log says it
     * finished, after the container last started or was restored (so an old dump never counts).
     * The socket is local, so the directory is readable here; where it is not, nothing is found.
     *
     * @return when the dump finished, if the container holds such a checkpoint
     */
    static Optional<Instant> completedDump(InspectContainer c) {
        InspectContainerState st = c.getState();
        if (st == null || Boolean.TRUE.equals(st.getCheckpointed()) || !List.of("exited", "stopped").contains(String.valueOf(st.getStatus()))
                || c.getStaticDir() == null) {
            return Optional.empty();
        }
        Path dir = Path.of(c.getStaticDir());
        Path log = dir.resolve("dump.log");
        try {
            if (!Files.isRegularFile(dir.resolve("checkpoint").resolve("inventory.img")) || !Files.isRegularFile(log)) {
                return Optional.empty();
            }
            Instant done = Files.getLastModifiedTime(log).toInstant();
            Instant started = parse(st.getRestoredAt()).filter(r -> r.isAfter(parse(st.getStartedAt()).orElse(Instant.EPOCH)))
                    .or(() -> parse(st.getStartedAt())).orElse(Instant.EPOCH);
            if (done.isBefore(started)) {
                return Optional.empty();
            }
            try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
                return lines.reduce((a, b) -> b).filter(last -> last.contains("Dumping finished successfully")).map(last -> done);
            }
        } catch (IOException | java.io.UncheckedIOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static String imageOf(InspectContainer c) {
        String image = c.getImageName() != null ? c.getImageName() : c.getConfig().getImage();
        return image.startsWith("localhost/") || image.contains("/") || image.contains(":") ? image : image + ":latest";
    }

    static SpriteState state(InspectContainerState st) {
        if (st == null || st.getStatus() == null) {
            return SpriteState.FAILED;
        }
        return switch (st.getStatus()) {
            case "running" -> SpriteState.RUNNING;
            case "paused" -> SpriteState.PAUSED;
            case "created", "configured", "initialized" -> SpriteState.CREATING;
            case "removing" -> SpriteState.DELETING;
            case "exited", "stopped" -> Boolean.TRUE.equals(st.getCheckpointed()) ? SpriteState.HIBERNATED : SpriteState.FAILED;
            default -> SpriteState.FAILED;
        };
    }

    private static Optional<String> ip(InspectContainer c) {
        if (c.getNetworkSettings() == null) {
            return Optional.empty();
        }
        String ip = c.getNetworkSettings().getIpAddress();
        if ((ip == null || ip.isEmpty()) && c.getNetworkSettings().getNetworks() != null) {
            ip = c.getNetworkSettings().getNetworks().values().stream().map(InspectNetwork::getIpAddress)
                    .filter(s -> s != null && !s.isEmpty()).findFirst().orElse(null);
        }
        return Optional.ofNullable(ip).filter(s -> !s.isEmpty());
    }

    private static Optional<Instant> parse(String time) {
        if (time == null || time.isEmpty() || time.startsWith("0001-")) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(time).toInstant());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void quietly(Call<?> call) {
        try {
            call.run();
        } catch (ApiException | RuntimeException ignored) {
            // best effort clean-up; the original failure is the one reported
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(null, "exec", e);
        }
    }
}
