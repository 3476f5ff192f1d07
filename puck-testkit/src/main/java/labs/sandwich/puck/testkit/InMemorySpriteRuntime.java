package labs.sandwich.puck.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
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
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.OperationInterruptedException;
import labs.sandwich.puck.api.OperationTimeoutException;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotCorruptedException;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SnapshotNotFoundException;
import labs.sandwich.puck.api.SpriteAlreadyExistsException;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.SpriteRuntime;
import labs.sandwich.puck.spi.Traffic;
import org.jspecify.annotations.Nullable;

/**
 * A faithful runtime without containers, for tests of the engine and of code that uses Puck.
 * It keeps the rules a real backend keeps, so a test that passes here fails for the same
 * reasons on Podman:
 * <ul>
 *   <li><b>States</b> move only as {@link SpriteState}'s table allows, and the SPI is strict:
 *       pausing a paused sprite, waking a running one, or exec, files, console, snapshot and
 *       readiness on anything but a {@code RUNNING} sprite throw
 *       {@link IllegalSpriteStateException} and change nothing. Restore accepts a running,
 *       paused, hibernated or archived sprite; delete accepts any.</li>
 *   <li><b>Files</b>: each sprite has a file system (directories tracked, {@code /root} the
 *       working directory). {@code /home} and {@code /root} are volumes: kept by
 *       {@code delete(KEEP_VOLUMES)} and found again by a sprite created with the same name,
 *       removed by {@code PURGE}.</li>
 *   <li><b>Memory</b>: what the sprite's processes hold (a counter, listening ports).
 *       Hibernation moves it to disk, so a hibernated (or archived) sprite
 *       holds no RAM ({@link #memoryHeld}); wake brings it back. Network traffic is what a test
 *       says it is ({@link #addTraffic}).</li>
 *   <li><b>Snapshots</b> are byte images of memory, files and volumes, kept inside the runtime
 *       with their real size and SHA-256; restore and fork check both before anything changes
 *       and throw {@link SnapshotCorruptedException} on a mismatch ({@link #corrupt} damages
 *       one for a test).</li>
 *   <li><b>Images</b>: only {@link ImageRef#DEFAULT} and those {@link #addImage added}.</li>
 * </ul>
 *
 * <p>Exec runs built-in commands on the argument vector (never a shell):
 * <table>
 * <caption>Built-in commands</caption>
 * <tr><th>command</th><th>does</th></tr>
 * <tr><td>{@code true}, {@code false}, {@code echo [-n] ARG…}, {@code pwd}, {@code whoami}, {@code env}</td>
 *     <td>as in a shell; {@code env} prints the spec's and the request's variables</td></tr>
 * <tr><td>{@code cat [PATH…]}, {@code ls [PATH…]}, {@code mkdir [-p] PATH…}, {@code touch PATH…},
 *     {@code rm [-rf] PATH…}, {@code test -e|-f|-d PATH}</td>
 *     <td>on the sprite's files, relative to the working directory; {@code cat} alone copies stdin</td></tr>
 * <tr><td>{@code write PATH TEXT}</td><td>writes a file, as {@code printf %s TEXT > PATH}</td></tr>
 * <tr><td>{@code sleep SECONDS}</td><td>really sleeps; past the request's timeout throws
 *     {@link OperationTimeoutException}; interruptible</td></tr>
 * <tr><td>{@code counter}</td><td>increments and prints a counter held in memory: the proof that
 *     memory survives hibernation and comes back with a snapshot</td></tr>
 * <tr><td>{@code listen PORT}</td><td>a process now listens on the port (for readiness)</td></tr>
 * <tr><td>{@code apt-get update}, {@code apt-get install [-y] PKG…}</td><td>records packages in
 *     {@code /var/lib/dpkg/status} and makes each a command that exits 0</td></tr>
 * </table>
 * Anything else exits 127 with "command not found" on stderr, as a shell would. The console
 * is a line interpreter of the same commands (not a PTY): it echoes each line, prints a
 * {@code $ } prompt, knows {@code exit [N]} and {@code stty size}, and gives commands empty
 * standard input. {@link #endpoint} returns {@code <name>.in-memory.invalid}, which no
 * resolver answers: nothing listens in an in-memory sprite.
 *
 * <p>Never registered in {@code META-INF/services}: on a test class path it would otherwise
 * be discovered by {@code Puck.open()}. Pass it explicitly: {@code Puck.builder().runtime(rt)}.
 * Sprites live as long as this object: {@link #close()} releases nothing, so a runtime can be
 * handed to a second {@code Puck}, as a real backend outlives its clients.
 *
 * <p>Thread-safe: one lock guards every sprite, and nothing blocks while holding it
 * ({@code sleep}, reading a caller's stream and writing to a caller's sink happen outside).
 * For engine tests it counts calls per sprite ({@link #calls}) and fails on demand
 * ({@link #failNext}).
 */
public final class InMemorySpriteRuntime implements SpriteRuntime {
    /** The runtime's name. */
    public static final String NAME = "in-memory";

    /** The operations {@link #calls} counts and {@link #failNext} can fail: the SPI methods that name a sprite. */
    private static final Set<String> OPERATIONS = Set.of("create", "inspect", "exec", "console", "writeFile", "readFile",
            "pause", "unpause", "hibernate", "wake", "archive", "traffic", "isReady", "snapshot", "restore", "fork", "deleteSnapshot", "endpoint", "delete");

    private final Clock clock;
    private final Set<Capability> capabilities;
    private final Set<ImageRef> images = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> calls = new ConcurrentHashMap<>();
    private final Map<String, PuckException> failures = new ConcurrentHashMap<>();
    // Guarded by this.
    private final Map<String, MemorySprite> sprites = new TreeMap<>();
    private final Map<String, MemoryFs> keptVolumes = new HashMap<>();
    private final Map<SnapshotId, byte[]> blobs = new HashMap<>();

    /** A runtime with every capability, timestamps from the system clock (UTC). */
    public InMemorySpriteRuntime() {
        this(Clock.systemUTC(), EnumSet.allOf(Capability.class));
    }

    private InMemorySpriteRuntime(Clock clock, Set<Capability> capabilities) {
        this.clock = clock;
        EnumSet<Capability> declared = EnumSet.noneOf(Capability.class);
        declared.addAll(capabilities);
        this.capabilities = Collections.unmodifiableSet(declared);
        images.add(ImageRef.DEFAULT);
    }

    /** @return a builder, to choose the clock or to declare fewer capabilities */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link InMemorySpriteRuntime}. Not thread-safe. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Set<Capability> capabilities = EnumSet.allOf(Capability.class);

        private Builder() {}

        /**
         * @param clock where {@code createdAt}, {@code stateSince} and snapshot times come from, e.g. a {@link TestClock}
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * @param capabilities what the runtime declares; every other operation throws {@link UnsupportedCapabilityException}
         * @return this builder
         */
        public Builder capabilities(Set<Capability> capabilities) {
            this.capabilities = Set.copyOf(capabilities);
            return this;
        }

        /** @return a new runtime with no sprites */
        public InMemorySpriteRuntime build() {
            return new InMemorySpriteRuntime(clock, capabilities);
        }
    }

    // ---- for tests ----

    /** @param image an image sprites may be created from, besides {@link ImageRef#DEFAULT} */
    public void addImage(ImageRef image) {
        images.add(image);
    }

    /**
     * @param sprite    a sprite's name
     * @param operation an SPI method that names a sprite, e.g. {@code wake} ({@code deleteSnapshot}
     *                  counts under the snapshot's sprite)
     * @return how many times it was called for that sprite so far, failed calls included
     * @throws IllegalArgumentException if {@code operation} is not such a method, so a typo cannot pass as "never called"
     */
    public int calls(String sprite, String operation) {
        return calls.getOrDefault(sprite + "/" + requireOperation(operation), 0);
    }

    /**
     * Makes the next call of an operation, for any sprite, throw {@code error} without changing
     * anything, after the capability check: a crash or a refusal in the middle of the engine's work.
     *
     * @param operation an SPI method that names a sprite, e.g. {@code hibernate}
     * @param error     what to throw
     * @throws IllegalArgumentException if {@code operation} is not such a method
     */
    public void failNext(String operation, PuckException error) {
        failures.put(requireOperation(operation), error);
    }

    /**
     * Damages a stored snapshot as a disk error would (flips bits in one byte), so that the next
     * restore or fork of it throws {@link SnapshotCorruptedException}.
     *
     * @param id a snapshot this runtime took
     * @throws IllegalArgumentException if it holds no data for that id
     */
    public synchronized void corrupt(SnapshotId id) {
        byte[] blob = blobs.get(id);
        if (blob == null) {
            throw new IllegalArgumentException("no stored snapshot " + id);
        }
        blob[blob.length / 2] ^= 0x5a;
    }

    /**
     * @param sprite a sprite's name
     * @return the bytes of RAM it holds now: 0 when hibernated (also {@code memory.bytes} in {@link #inspect})
     * @throws SpriteNotFoundException if there is no such sprite
     */
    public synchronized long memoryHeld(String sprite) {
        return machine(sprite).memoryBytes();
    }

    // ---- the SPI ----

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
        return "this in-memory runtime was built without " + capability;
    }

    /**
     * "Builds" an image the way a real builder would judge it, without running anything: the
     * Containerfile must start with {@code FROM} an image this runtime has; the tag is then
     * known and sprites can be created from it. {@code RUN} lines are not executed.
     */
    @Override
    public ImageRef buildImage(java.nio.file.Path context, String containerfile, ImageRef tag) {
        if (!capabilities().contains(Capability.BUILD_IMAGES)) {
            throw new UnsupportedCapabilityException(Capability.BUILD_IMAGES, NAME, unsupportedReason(Capability.BUILD_IMAGES));
        }
        String from;
        try {
            from = java.nio.file.Files.readAllLines(context.resolve(containerfile)).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElse("");
        } catch (java.io.IOException e) {
            throw new BackendException(NAME, null, 0, "cannot read " + containerfile + ": " + e.getMessage(), "Check the file.", e);
        }
        if (!from.regionMatches(true, 0, "FROM ", 0, 5)) {
            throw new BackendException(NAME, null, 0, containerfile + " must start with FROM, but starts with '" + from + "'.", "Start it with FROM <image>.", null);
        }
        ImageRef base = ImageRef.of(from.substring(5).strip().split("\\s+")[0]);
        if (!images.contains(base)) {
            throw new ImageNotFoundException(base, "The in-memory runtime knows " + ImageRef.DEFAULT + " and the images given to addImage(ImageRef).");
        }
        images.add(tag);
        return tag;
    }

    @Override
    public synchronized SpriteInfo create(SpriteSpec spec) {
        String name = spec.name();
        enter(name, "create", null);
        if (sprites.containsKey(name)) {
            throw new SpriteAlreadyExistsException(name);
        }
        if (!images.contains(spec.image())) {
            throw new ImageNotFoundException(spec.image(),
                    "The in-memory runtime knows " + ImageRef.DEFAULT + " and the images given to addImage(ImageRef); add this one first.");
        }
        MemoryFs fs = MemoryFs.base(name);
        MemoryFs kept = keptVolumes.remove(name);
        if (kept != null) {
            fs.mountVolumes(kept);
        }
        MemorySprite m = new MemorySprite(spec, fs, clock.instant());
        sprites.put(name, m);
        return info(name, m);
    }

    @Override
    public synchronized Optional<SpriteInfo> inspect(String sprite) {
        enter(sprite, "inspect", null);
        return Optional.ofNullable(sprites.get(sprite)).map(m -> info(sprite, m));
    }

    @Override
    public synchronized List<SpriteInfo> list() {
        return sprites.entrySet().stream().map(e -> info(e.getKey(), e.getValue())).toList();
    }

    @Override
    public ExecResult exec(String sprite, ExecRequest request) {
        long start = System.nanoTime();
        synchronized (this) {
            requireRunning(sprite, existing(sprite, "exec", Capability.EXEC), "exec in");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = run(sprite, request, out, err);
        return new ExecResult(sprite, request.argv(), status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Runs one built-in command, for exec and the console; {@code sleep} runs outside the lock.
     *
     * @return its exit status
     */
    int run(String sprite, ExecRequest request, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        boolean sleep = Builtins.program(request.argv()).equals("sleep");
        synchronized (this) {
            MemorySprite m = machine(sprite);
            requireRunning(sprite, m, "exec in");
            if (!sleep) {
                return Builtins.run(m, request, out, err);
            }
        }
        return sleep(sprite, request, err);
    }

    private static int sleep(String sprite, ExecRequest request, ByteArrayOutputStream err) {
        List<String> args = request.argv().subList(1, request.argv().size());
        if (args.size() != 1 || !args.getFirst().matches("[0-9]{1,9}(\\.[0-9]{1,9})?")) {
            err.writeBytes(("sleep: invalid time interval " + args + "\n").getBytes(StandardCharsets.UTF_8));
            return 1;
        }
        Duration wanted = Duration.ofNanos((long) (Double.parseDouble(args.getFirst()) * 1e9));
        boolean timesOut = wanted.compareTo(request.timeout()) > 0;
        try {
            Thread.sleep(timesOut ? request.timeout() : wanted);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationInterruptedException(sprite, "exec " + request.argv(), e);
        }
        if (timesOut) {
            throw new OperationTimeoutException(sprite, "exec " + request.argv(), request.timeout());
        }
        return 0;
    }

    @Override
    public synchronized Console console(String sprite, ConsoleRequest request) {
        requireRunning(sprite, existing(sprite, "console", Capability.CONSOLE), "open a console in");
        return new LineConsole(this, sprite, request);
    }

    @Override
    public void writeFile(String sprite, String path, InputStream content) {
        String file = absolute(path);
        synchronized (this) {
            requireRunning(sprite, existing(sprite, "writeFile", Capability.FILES), "write a file in");
        }
        byte[] data;
        try {
            data = content.readAllBytes(); // outside the lock: the caller's stream may be slow
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (this) {
            MemorySprite m = machine(sprite);
            requireRunning(sprite, m, "write a file in");
            try {
                m.fs.writeCreatingParents(file, data);
            } catch (FileSystemException e) {
                throw fileError(sprite, e);
            }
        }
    }

    @Override
    public void readFile(String sprite, String path, OutputStream sink) {
        String file = absolute(path);
        byte[] data;
        synchronized (this) {
            MemorySprite m = existing(sprite, "readFile", Capability.FILES);
            requireRunning(sprite, m, "read a file from");
            try {
                data = m.fs.read(file);
            } catch (FileSystemException e) {
                throw fileError(sprite, e);
            }
        }
        try {
            sink.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void pause(String sprite) {
        move(sprite, existing(sprite, "pause", Capability.PAUSE), "pause", SpriteState.PAUSING, SpriteState.PAUSED);
    }

    @Override
    public synchronized void unpause(String sprite) {
        MemorySprite m = existing(sprite, "unpause", Capability.PAUSE);
        if (m.state != SpriteState.PAUSED) {
            throw refused(sprite, m, "unpause", SpriteState.RUNNING);
        }
        move(sprite, m, "unpause", SpriteState.WAKING, SpriteState.RUNNING);
    }

    @Override
    public synchronized void hibernate(String sprite) {
        MemorySprite m = existing(sprite, "hibernate", Capability.HIBERNATE);
        requireRunning(sprite, m, "hibernate"); // the table allows PAUSED -> HIBERNATING for the engine, which thaws it first
        move(sprite, m, "hibernate", SpriteState.HIBERNATING, SpriteState.HIBERNATED);
        m.checkpoint();
    }

    @Override
    public synchronized void wake(String sprite) {
        MemorySprite m = existing(sprite, "wake", Capability.HIBERNATE);
        if (m.state != SpriteState.HIBERNATED && m.state != SpriteState.ARCHIVED) {
            // The table lets a running or paused sprite go to WAKING too (restore, unpause), but wake wants one asleep on disk.
            throw refused(sprite, m, "wake", SpriteState.RUNNING);
        }
        move(sprite, m, "wake", SpriteState.WAKING, SpriteState.RUNNING);
        m.restoreCheckpoint();
    }

    @Override
    public synchronized void archive(String sprite) {
        MemorySprite m = existing(sprite, "archive", Capability.ARCHIVE);
        move(sprite, m, "archive", SpriteState.ARCHIVING, SpriteState.ARCHIVED);
    }

    /** Counts only what {@link #addTraffic} added: nothing reaches an in-memory sprite otherwise. */
    @Override
    public synchronized Optional<Traffic> traffic(String sprite) {
        MemorySprite m = existing(sprite, "traffic", null);
        return Optional.of(new Traffic(m.received, m.sent));
    }

    @Override
    public synchronized java.util.OptionalLong memoryBytes(String sprite) {
        MemorySprite m = sprites.get(sprite);
        return m == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(m.memoryBytes());
    }

    /**
     * Counts network traffic to and from a sprite, as if a client had talked to it: what the idle
     * monitor sees through {@link #traffic}.
     *
     * @param sprite   the sprite
     * @param received bytes it received
     * @param sent     bytes it sent
     */
    public synchronized void addTraffic(String sprite, long received, long sent) {
        MemorySprite m = machine(sprite);
        m.received += received;
        m.sent += sent;
    }

    @Override
    public boolean isReady(String sprite, Readiness check) {
        synchronized (this) {
            requireRunning(sprite, existing(sprite, "isReady", null), "check the readiness of");
        }
        return ready(sprite, check);
    }

    private boolean ready(String sprite, Readiness check) {
        return switch (check) {
            case Readiness.None none -> true;
            case Readiness.Port p -> listens(sprite, p.port());
            case Readiness.Http h -> listens(sprite, h.port());
            case Readiness.Command c -> exec(sprite, ExecRequest.of(c.argv())).succeeded();
            case Readiness.All all -> all.checks().stream().allMatch(x -> ready(sprite, x));
        };
    }

    /** Something listens on a port the spec declares (its server, started by the image) or one opened by {@code listen}. */
    private synchronized boolean listens(String sprite, int port) {
        MemorySprite m = machine(sprite);
        return m.spec.ports().contains(port) || m.listens(port);
    }

    @Override
    public synchronized Snapshot snapshot(String sprite, SnapshotId id, String label) {
        MemorySprite m = existing(sprite, "snapshot", Capability.SNAPSHOT);
        requireRunning(sprite, m, "snapshot");
        if (blobs.containsKey(id)) {
            throw new InvalidSpecException("snapshot", "Snapshot id " + id + " is already taken.", "Allocate a new one: SnapshotId.random().");
        }
        byte[] image = m.image();
        Snapshot s = new Snapshot(id, sprite, label, clock.instant(), image.length, sha256(image),
                EnumSet.of(Snapshot.Content.MEMORY, Snapshot.Content.FILESYSTEM, Snapshot.Content.VOLUMES));
        blobs.put(id, image);
        return s;
    }

    @Override
    public synchronized void restore(String sprite, Snapshot snapshot) {
        MemorySprite m = existing(sprite, "restore", Capability.SNAPSHOT);
        if (!snapshot.sprite().equals(sprite)) {
            throw new SnapshotNotFoundException(sprite, snapshot.id().value());
        }
        byte[] image = verified(snapshot);
        move(sprite, m, "restore", SpriteState.WAKING, SpriteState.RUNNING);
        m.load(image);
    }

    @Override
    public synchronized SpriteInfo fork(Snapshot snapshot, SpriteSpec spec) {
        String name = spec.name();
        enter(name, "fork", Capability.FORK);
        if (sprites.containsKey(name)) {
            throw new SpriteAlreadyExistsException(name);
        }
        byte[] image = verified(snapshot);
        MemorySprite m = new MemorySprite(spec, MemoryFs.base(name), clock.instant());
        m.load(image);
        sprites.put(name, m);
        return info(name, m);
    }

    @Override
    public synchronized void deleteSnapshot(Snapshot snapshot) {
        enter(snapshot.sprite(), "deleteSnapshot", Capability.SNAPSHOT);
        blobs.remove(snapshot.id());
    }

    @Override
    public synchronized Endpoint endpoint(String sprite, int port) {
        existing(sprite, "endpoint", Capability.EXPOSE);
        return new Endpoint(sprite + ".in-memory.invalid", port);
    }

    @Override
    public synchronized void delete(String sprite, DeletePolicy policy) {
        MemorySprite m = existing(sprite, "delete", null);
        sprites.remove(sprite);
        if (policy == DeletePolicy.PURGE) {
            keptVolumes.remove(sprite);
        } else {
            keptVolumes.put(sprite, m.fs.volumes());
        }
    }

    /** Releases nothing: sprites, kept volumes and snapshots live as long as this object, and it stays usable. */
    @Override
    public void close() {}

    @Override
    public synchronized String toString() {
        return "InMemorySpriteRuntime" + sprites.keySet() + capabilities;
    }

    // ---- rules ----

    private static String requireOperation(String operation) {
        if (!OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("'" + operation + "' is not one of " + new TreeSet<>(OPERATIONS));
        }
        return operation;
    }

    /** Counts the call, checks the capability and applies an injected failure, in that order. */
    private void enter(String sprite, String operation, @Nullable Capability capability) {
        calls.merge(sprite + "/" + operation, 1, Integer::sum);
        if (capability != null && !capabilities.contains(capability)) {
            throw new UnsupportedCapabilityException(capability, NAME, unsupportedReason(capability));
        }
        PuckException injected = failures.remove(operation);
        if (injected != null) {
            throw injected;
        }
    }

    /** {@link #enter}, then the sprite, which must exist. */
    private MemorySprite existing(String sprite, String operation, @Nullable Capability capability) {
        enter(sprite, operation, capability);
        return machine(sprite);
    }

    private MemorySprite machine(String sprite) {
        MemorySprite m = sprites.get(sprite);
        if (m == null) {
            throw new SpriteNotFoundException(sprite);
        }
        return m;
    }

    private static void requireRunning(String sprite, MemorySprite m, String operation) {
        if (m.state != SpriteState.RUNNING) {
            throw refused(sprite, m, operation, SpriteState.RUNNING);
        }
    }

    /** Moves a sprite along {@code path}, every step allowed by {@link SpriteState}'s table, or refuses and changes nothing. */
    private void move(String sprite, MemorySprite m, String operation, SpriteState... path) {
        SpriteState at = m.state;
        for (SpriteState next : path) {
            if (!at.canMoveTo(next)) {
                throw refused(sprite, m, operation, path[path.length - 1]);
            }
            at = next;
        }
        m.state = at;
        m.stateSince = clock.instant();
    }

    private static IllegalSpriteStateException refused(String sprite, MemorySprite m, String operation, SpriteState wanted) {
        String remedy = m.state == wanted ? "Nothing to do: it is already " + wanted + "."
                : m.state == SpriteState.PAUSED ? "Unpause it first."
                : "Wake it first (the engine does so before exec, files, console and snapshots).";
        return new IllegalSpriteStateException(sprite, m.state, operation, remedy);
    }

    private static String absolute(String path) {
        if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new InvalidSpecException("path", "Invalid path '" + path.replace('\0', '?') + "': it is not absolute.",
                    "Use an absolute path in the sprite, e.g. \"/root/notes.txt\".");
        }
        return MemoryFs.resolve("/", path);
    }

    private static BackendException fileError(String sprite, FileSystemException e) {
        boolean missing = e instanceof NoSuchFileException;
        return new BackendException(NAME, sprite, missing ? 404 : 0,
                (missing ? "there is no file " + e.getFile() : e.getFile() + ": " + e.getReason()) + " in sprite '" + sprite + "'.",
                "Check the path: files are read and written by absolute path, directories are not files.", null);
    }

    private SpriteInfo info(String name, MemorySprite m) {
        return new SpriteInfo(name, m.state, m.spec, NAME, m.createdAt, m.stateSince,
                Map.of("memory.bytes", Long.toString(m.memoryBytes()), "fs.entries", Integer.toString(m.fs.size())));
    }

    /** @return the snapshot's image, once its size and SHA-256 match what was recorded */
    private byte[] verified(Snapshot snapshot) {
        byte[] image = blobs.get(snapshot.id());
        if (image == null) {
            throw new SnapshotCorruptedException(snapshot.sprite(), snapshot.id().value(), "its data is gone (deleted, or never taken by this runtime).");
        }
        String actual = sha256(image);
        if (image.length != snapshot.sizeBytes() || !actual.equals(snapshot.sha256())) {
            throw new SnapshotCorruptedException(snapshot.sprite(), snapshot.id().value(), "its data has " + image.length + " bytes and SHA-256 "
                    + actual + ", but " + snapshot.sizeBytes() + " bytes and " + snapshot.sha256() + " were recorded.");
        }
        return image;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
